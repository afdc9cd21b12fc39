"""Deterministic, realistic-looking social posts for the classifier benchmark: en/pl/ru/fa, tweets and long posts.

Built from phrase pieces with a seeded RNG, so every run classifies exactly the same texts;
handles, links, hashtags and emoji appear as they do on X and Reddit.
"""

from __future__ import annotations

import random

BRANDS = ["Acme", "acme", "ACME", "Acme Bank", "Acme Mobile"]
HANDLES = ["@acme", "@AcmeHelp", "@acme_pl", "@acme_ru", "@acme_ir", "@jan_kowalski", "@maria88"]
LINKS = ["https://t.co/a1B2c3", "http://acme.com/status", "https://acme.pl/reklamacje", "www.acme.ru/help"]
EMOJI = ["😡", "🙏", "😍", "👍", "🤬", "😞", "🔥", "💔", "🎉", "🤔", "😂"]
TAGS = ["#acme", "#fail", "#customerservice", "#obsługa", "#сервис", "#پشتیبانی"]

PIECES = {
    "en": {
        "open": ["Honestly", "Wow", "Ugh", "So", "Quick question:", "PSA:", "Not gonna lie,", "Day 6 and", "Again??"],
        "neg": ["{b} support is a joke, nobody answers", "my order never arrived and {b} keeps closing the ticket",
                "{b} charged me twice this month", "the {b} app crashes every time I open it",
                "worst customer service I've dealt with in years", "still waiting for my refund from {b}"],
        "neu": ["does {b} ship to Canada?", "what time does the {b} store open on Sunday",
                "anyone tried the new {b} plan?", "{b} changed their logo again", "is {b} down for anyone else"],
        "pos": ["{b} sorted my problem in ten minutes, thank you", "loving the new {b} update",
                "great service from {b} today", "my {b} parcel came a day early", "shoutout to the {b} team"],
        "filler": ["I called three times and got three different answers.", "The chat bot just loops.",
                   "Not what I expected from a company this size.", "My neighbour had the same issue last week.",
                   "I have the receipt and the bank statement.", "Will update this thread if anything changes.",
                   "To be fair the courier was polite.", "I've been a customer for eight years."],
    },
    "pl": {
        "open": ["Szczerze", "No i znowu", "Pytanie:", "Serio?", "Trzeci dzień i", "Uwaga:"],
        "neg": ["obsługa klienta {b} to dramat", "zamówienie z {b} nie dotarło od dwóch tygodni",
                "{b} pobrało opłatę dwa razy", "aplikacja {b} ciągle się zawiesza", "reklamacja odrzucona bez powodu"],
        "neu": ["czy {b} wysyła paczki do Czech?", "o której otwierają salon {b} w Gdańsku",
                "ktoś testował nowy abonament {b}?", "{b} zmieniło regulamin"],
        "pos": ["{b} załatwiło sprawę w dziesięć minut, dziękuję", "świetna obsługa w {b}",
                "paczka od {b} przyszła dzień wcześniej", "nowa wersja aplikacji {b} działa super"],
        "filler": ["Dzwoniłem trzy razy i za każdym razem słyszę coś innego.", "Konsultant był bardzo miły.",
                   "Mam paragon i potwierdzenie przelewu.", "Jestem klientem od ośmiu lat.",
                   "Kurier zostawił paczkę u sąsiada.", "Dam znać, jeśli coś się zmieni."],
    },
    "ru": {
        "open": ["Честно говоря", "Ну вот опять", "Вопрос:", "Серьёзно?", "Третий день и"],
        "neg": ["поддержка {b} не отвечает", "заказ от {b} так и не пришёл", "{b} списали деньги дважды",
                "приложение {b} постоянно вылетает", "ужасный сервис у {b}"],
        "neu": ["{b} доставляет в Казахстан?", "во сколько открывается магазин {b}",
                "кто-нибудь пробовал новый тариф {b}?", "{b} опять поменяли логотип"],
        "pos": ["{b} решили мою проблему за десять минут, спасибо", "отличный сервис у {b}",
                "посылка от {b} пришла на день раньше", "новое обновление {b} просто супер"],
        "filler": ["Звонил три раза, каждый раз говорят разное.", "Курьер был вежливый.",
                   "У меня есть чек и выписка из банка.", "Я клиент уже восемь лет.", "Напишу, если что-то изменится."],
    },
    "fa": {
        "open": ["راستش", "باز هم", "سوال:", "جدی؟", "روز سوم و"],
        "neg": ["پشتیبانی {b} اصلاً جواب نمی‌دهد", "سفارشم از {b} هنوز نرسیده", "{b} دو بار از حسابم پول کم کرد",
                "اپلیکیشن {b} مدام بسته می‌شود", "خدمات {b} افتضاح است"],
        "neu": ["آیا {b} به شیراز ارسال دارد؟", "فروشگاه {b} ساعت چند باز می‌شود", "کسی طرح جدید {b} را امتحان کرده؟"],
        "pos": ["{b} مشکلم را در ده دقیقه حل کرد، ممنون", "خدمات {b} عالی است", "بسته {b} یک روز زودتر رسید",
                "نسخه جدید اپلیکیشن {b} خیلی خوب است"],
        "filler": ["سه بار تماس گرفتم و هر بار جواب متفاوتی شنیدم.", "پیک خیلی مودب بود.",
                   "رسید و صورت‌حساب بانکی را دارم.", "هشت سال است مشتری هستم.", "اگر خبری شد اینجا می‌نویسم."],
    },
}
LANG_WEIGHTS = {"en": 0.4, "pl": 0.25, "ru": 0.2, "fa": 0.15}


def _post(rng: random.Random, lang: str, *, long: bool) -> str:
    words = PIECES[lang]
    parts = []
    if rng.random() < 0.3:
        parts.append(rng.choice(words["open"]))
    if rng.random() < 0.35:
        parts.append(rng.choice(HANDLES))
    kind = rng.choices(["neg", "neu", "pos"], weights=[0.4, 0.3, 0.3])[0]
    parts.append(rng.choice(words[kind]).format(b=rng.choice(BRANDS)))
    fillers = rng.randint(6, 18) if long else rng.choices([0, 1, 2], weights=[0.55, 0.3, 0.15])[0]
    parts.extend(rng.choice(words["filler"]) for _ in range(fillers))
    if rng.random() < 0.4:
        parts.append(rng.choice(EMOJI) * rng.randint(1, 3))
    if rng.random() < 0.25:
        parts.append(rng.choice(TAGS))
    if rng.random() < 0.2:
        parts.append(rng.choice(LINKS))
    text = " ".join(parts)
    return text if long else text[:280]


def social_posts(count: int, *, long: bool = False, seed: int = 20261201) -> list[str]:
    """``count`` posts (tweets up to 280 characters, or Reddit-length posts with ``long``), always the same."""
    rng = random.Random(seed + (1 if long else 0))
    langs = list(LANG_WEIGHTS)
    weights = list(LANG_WEIGHTS.values())
    return [_post(rng, rng.choices(langs, weights=weights)[0], long=long) for _ in range(count)]


def tokenizer_corpus() -> list[str]:
    """Text to train the benchmark's stand-in tokenizer on: every phrase piece, plus generated posts."""
    lines = [piece for lang in PIECES.values() for group in lang.values() for piece in group]
    return lines + social_posts(2000, seed=7) + social_posts(200, long=True, seed=7)
