"""Stopwords for English, Polish, Russian and Persian: words that say nothing about what a post is about."""

from __future__ import annotations

_STOPWORD_LISTS = (
    # English
    """a about above after again against all am an and any are aren't as at be because been before being
    below between both but by can can't cannot could couldn't did didn't do does doesn't doing don't down
    during each few for from further get got had hadn't has hasn't have haven't having he her here hers
    herself him himself his how i if in into is isn't it it's its itself just let's like me more most my
    myself no nor not now of off on once only or other ought our ours ourselves out over own same she
    should so some such than that that's the their theirs them themselves then there these they this
    those through to too under until up very was wasn't we were weren't what when where which while who
    whom why will with won't would you your yours yourself yourselves also im ive dont cant doesnt didnt
    isnt wont u ur amp rt via s t just really still even one go going don doesn didn isn wasn aren
    haven hasn couldn shouldn wouldn won ll re ve"""
    # Polish
    """ a aby ale albo bo by być był była było były będzie będą co czy dla do gdy go i ich ile ja jak
    jako jej jego jest jestem jesteś jeszcze jeśli już ją ktoś która które który kiedy lub ma mam mi
    mnie może mój moja moje na nad nam nas nie nic nich niej no o od oraz po pod przez przy są się
    sobie ta tak tam te tego tej ten to tu tutaj ty tych tylko tym w we więc wszystko z za ze że żeby
    też bardzo jednak nawet tylko"""
    # Russian
    """ а без более бы был была были было быть в вам вас весь во вот все всего всех вы где да даже для
    до его ее ей ему если есть еще ещё же за здесь и из или им их к как какой когда кто ли либо мне
    может мы на над надо наш не него нее нет ни них но ну о об однако он она они оно от очень по под
    при про с со так также такой там те тем то того тоже только том ты у уже хотя чего чей чем что
    чтобы эта эти это этот я меня мой моя себя свой сейчас тут потому после через"""
    # Persian
    """ و در به از که این را با است برای آن یک خود تا کرد بر هم نیز شد می ها های شده ای او ما من تو
    شما آنها بود باشد کنند کند هست نه اما یا اگر چه همه دیگر وی پس روی بی هر کرده دارد دارند کنم
    شود شوند بودند بوده باید نمی خواهد ولی چون اینکه آنکه ی هیچ همین چند"""
)
STOPWORDS: frozenset[str] = frozenset(_STOPWORD_LISTS.split())
