"""Held-out posts for the int8-vs-fp32 agreement check: never used to fit anything, en/pl/ru/fa, short and long."""

from __future__ import annotations

HELDOUT_POSTS: tuple[str, ...] = (
    "@acme my parcel has been 'out for delivery' for six days now. Great tracking, guys.",
    "Honestly the new Acme app update is smooth, checkout took ten seconds",
    "Is the Acme store on Main Street open on Sunday?",
    "Third time the Acme router drops the connection tonight. I'm done. https://t.co/abc123",
    "Shoutout to @acme_help for sorting my refund in one afternoon 🙏",
    "acme price went up again?? 😡😡",
    "Not sure what to think about the Acme rebrand tbh",
    "Ordered on Monday, arrived Tuesday, well packed. Happy customer.",
    "Customer service put me on hold for 47 minutes and then hung up. Unbelievable.",
    "Anyone else getting error 502 on acme.com right now?",
    "Loving my new Acme headphones, battery lasts forever 🎧",
    "The Acme support chat bot is useless, it keeps sending me the same FAQ link",
    "Zamówienie z Acme dotarło w dwa dni, wszystko w porządku 👍",
    "Od tygodnia nie mogę się zalogować do aplikacji Acme, infolinia nie odbiera",
    "Czy ktoś wie, czy Acme wysyła paczki do Czech?",
    "Świetna obsługa w salonie Acme w Krakowie, polecam!",
    "Acme znowu podniosło ceny, a jakość coraz gorsza 😤",
    "Reklamacja odrzucona bez podania powodu. Nigdy więcej Acme.",
    "Nowa wersja aplikacji Acme działa szybciej, dzięki",
    "@acme_pl kiedy będzie dostępny nowy model?",
    "Zwrot pieniędzy trwa już miesiąc, a Acme milczy",
    "Kupiłem w promocji, jestem zadowolony z zakupu",
    "Служба поддержки Acme не отвечает уже третий день",
    "Заказ пришёл вовремя, упаковка целая, спасибо Acme!",
    "Кто-нибудь знает, работает ли Acme в Казахстане?",
    "Приложение Acme постоянно вылетает после обновления 😡",
    "Отличное качество, пользуюсь уже полгода",
    "Деньги списали дважды, а возвращать никто не собирается",
    "Acme открыли новый магазин в центре, зайду посмотреть",
    "Курьер Acme оставил посылку под дверью под дождём. Спасибо, конечно.",
    "Очень доволен покупкой, рекомендую всем",
    "пشتیبانی Acme اصلاً جواب نمی‌دهد",
    "سفارشم بعد از دو هفته هنوز نرسیده است",
    "خیلی ممنون از Acme، خرید خیلی راحت بود 🌹",
    "آیا Acme به شیراز هم ارسال دارد؟",
    "کیفیت محصول عالی است و قیمتش مناسب",
    "این سومین بار است که سفارشم اشتباه ارسال می‌شود، واقعاً ناامید شدم",
    "اپلیکیشن جدید Acme سریع‌تر شده، دستتان درد نکند",
    "قیمت‌ها دوباره بالا رفته 😞",
    (
        "Long story, but here it is. I ordered a washing machine from Acme in October, paid for "
        "installation, and the installer never came. I called four times, each time promised a call "
        "back within 24 hours. Nothing. The machine is sitting in my hallway in its box. Today I was "
        "told my order 'does not exist'. I have the receipt and the bank statement. @acme please fix this."
    ),
    (
        "Chciałbym podziękować zespołowi Acme za pomoc przy wymianie telefonu. Po tym jak ekran przestał "
        "działać, zgłosiłem sprawę w piątek wieczorem, a w poniedziałek kurier odebrał urządzenie. Nowy "
        "telefon dostałem po czterech dniach, z przeniesionymi danymi. Tak powinna wyglądać obsługa klienta."
    ),
    (
        "Я долго выбирал между Acme и конкурентами и в итоге взял Acme. Первые две недели всё было "
        "хорошо, потом начались проблемы с зарядкой. Сервисный центр говорит, что гарантия не покрывает "
        "такой случай, хотя телефон ни разу не падал и не намокал. Очень разочарован."
    ),
    (
        "من حدود یک سال است که از خدمات Acme استفاده می‌کنم و تا امروز مشکلی نداشتم. پشتیبانی همیشه "
        "سریع جواب داده و ارسال‌ها به موقع بوده است. امیدوارم همین کیفیت را حفظ کنند."
    ),
    "ok",
    "🔥🔥🔥",
    "#acme #fail",
    "meh",
    "RT @someone: Acme is hiring in Warsaw http://jobs.example.com",
)
