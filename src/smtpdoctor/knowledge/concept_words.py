"""Class-wide words for a failed send, concept by concept, in the languages mail programs ship.

A mail client or library reports a failure in its user's language: "the login failed",
"the connection was closed", "the host was not found", "the certificate has expired". The
rules before this one knew a language where a corpus row had shown it; this table holds,
for each concept, each language's *noun* for the thing that failed (authentication, the
connection, the host, the TLS session, the certificate) and the *words* that say it went
wrong (failed, closed, not found, expired), as the translators of other mail programs wrote
them (session 23, docs/explain.md "Session 23: langs"):

* neomutt's catalogues (``po/*.po``, github.com/neomutt/neomutt at
  ed494b09e3e31d4c06edec00c2074ff1353952b4): "Authentication failed", "Login failed",
  "Connection to %s timed out", "Connection to %s closed", "Server closed connection",
  "Could not find the host", "Could not negotiate TLS connection", "Server certificate has
  expired", "Untrusted server certificate", "Server hostname does not match certificate";
* msmtp's (``po/*.po``, github.com/marlam/msmtp at 933d35be8ab6e35a7ea3f78df54b64230177590b):
  "authentication failed", "connection refused", "the operation timed out", "the connection
  was closed unexpectedly", "host not found", "TLS handshake failed", "TLS certificate
  verification failed", "the server does not support TLS via the STARTTLS command";
* Sylpheed's (``po/*.po``, github.com/jan0sch/sylpheed at
  34327c1d44efada7b87397f2613379563e89e5d4): "Authentication failed.", "error occurred on
  authentication", "Connection closed by the remote host.", "Session timed out.", "Can't
  connect to SMTP server.", "SMTP server not found", "SSL certificate verify failed",
  "Can't start TLS session.";
* Geary's (``po/*.po``, github.com/GNOME/geary at 3e8d4f1a378dc0a9ff06c09e2211194a464c715d):
  "SMTP username or password incorrect", the server certificate's verdicts;
* Geary's "Service provider" / "Service:", "Welcome to Geary", "This account ... is
  unavailable", "Encrypted connection unavailable"; Sylpheed's "SMTP AUTH not available",
  "Invalid timestamp in greeting" and neomutt's "Not available in this menu" (the words for a
  service, for not available, and for the server's greeting or welcome);
* Thunderbird for Android's (K-9 Mail's) string resources
  (``*/src/main/res/values-*/strings.xml``, github.com/thunderbird/thunderbird-android at
  a59bd679859d369c9a39be147e536b825ffd0a6b): ``notification_authentication_error_title``
  ("Authentication failed"), ``account_server_validation_error_authentication``
  ("Authentication error"), ``account_server_settings_authentication_label``
  ("Authentication"), ``notification_certificate_error_public`` ("Certificate error");
* (session 23, langs2) Nextcloud Mail's ``l10n/*.json`` (github.com/nextcloud/mail at
  e5734fe250eba06776802c80bb0e52f3cb625673): "SMTP authentication error", "SMTP server denied
  authentication", "SMTP connection failed", "Welcome to {productName} Mail", "Configuration
  discovery temporarily not available" (Uyghur's words), "anti spam service" (its noun);
* FairEmail's ``app/src/main/res/values-*/strings.xml`` (github.com/M66B/FairEmail at
  e23dd9df8002bc43e64594843ce69b52b9ad15e1): ``title_setup_authentication``,
  ``title_authentication_failed``, ``title_legend_auth`` (Azerbaijani, Bengali, Odia,
  Serbian's "провера идентитета"), ``title_welcome`` with ``channel_error`` /
  ``title_setup_error`` / ``menu_issue`` (the welcome with an error in Bengali, Odia,
  Estonian), ``title_legend_quota`` ("Mailbox almost full": the mailbox-full concept);
* Horde IMP's ``locale/*/LC_MESSAGES/imp.po`` (github.com/horde/imp at
  fd9212ca3b72ff834504af4886f7d95138619bd4): "service unavailable" (``lib/Compose.php``;
  Khmer, Slovenian, Chinese), "Welcome to %s" with "Error" (Arabic, Bosnian, Icelandic,
  Khmer, Macedonian, Nynorsk, Thai);
* SquirrelMail's Welsh catalogue (github.com/RealityRipple/squirrelmail at
  a069c6ac4a50ff4726d93614f0678c10aa48ecc5, ``locale/cy_GB/LC_MESSAGES/squirrelmail.po``):
  "authentication failed" ("dilysiad wedi methu"), "apop authentication failed" ("methodd
  dilysiad apop"), "Bad request" ("Cais gwael"), "Invalid input data" ("annilys").

Khmer's ផ្ទៀងផ្ទាត់ (verify) is left out of the login concept: Horde's catalogue uses it for
signatures too.

Each concept's words are stems (a noun's inflections share them) and are tried only as a
pair within one language: the noun, and within a few words before or after it, a word that
it failed. They are not table patterns: the classifier asks them (:func:`concept_match`,
:func:`concept_stage`) only for a text no rule read, and in a folder run only for a text
with non-ASCII letters; one trie-shaped regex finds the key words a text holds
(:func:`key_words`), and only their languages' pairs are checked. As table patterns (their
first form) they cost the bounce folders 0.8 % more instructions, in the word index, its
automaton and the stores every run loads (docs/explain.md, "Session 23: langs"). Nouns that
mean verification in general (Hebrew אימות, Czech ověření, Slovak overenie, Japanese 検証) are
left out of the login concept: their catalogues use them for certificates too.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from smtpdoctor.knowledge.phrasing import LazyRegex, TextPattern
from smtpdoctor.model import Category, Stage

if TYPE_CHECKING:  # (the logs path imports typing for mypy only: cli/deferred.py)
    from collections.abc import Callable
    from typing import Any

__all__ = ["CONCEPTS", "concept_by_id", "concept_match", "concept_stage", "key_words", "pair_found"]

_C, _S = Category, Stage

# The most characters between a concept's noun and its word of failure (a few words:
# "Verbindung zu smtp.example.com:587 fehlgeschlagen").
_GAP = 48
# The longest word of failure: the window a word is looked for in (the gap counts to its start).
_LONGEST = 40

# A language's concept: its nouns, and the words that say the thing failed.
_Vocabulary = dict[str, tuple[str, str]]


def pair_found(
    low: str, vocabulary: _Vocabulary, gap: int = _GAP, present: frozenset[str] | None = None
) -> bool:
    """Whether lower-cased ``low`` holds one of a language's nouns with one of the same
    language's words of failure after it or before it, on the same line, at most ``gap``
    characters apart (``present``: the key words ``low`` holds, :func:`key_words`; only
    those nouns are looked for)."""
    by_noun = _BY_NOUN.get(id(vocabulary))
    if by_noun is None:
        by_noun = _BY_NOUN[id(vocabulary)] = _nouns_index(vocabulary)
    nouns = by_noun.keys() if present is None else present & by_noun.keys()
    for noun in nouns:
        ws = by_noun[noun]
        at = low.find(noun)
        while at >= 0:
            end = at + len(noun)
            after = low[end : end + gap + _LONGEST].split("\n", 1)[0]
            before = low[max(0, at - gap - _LONGEST) : at].rsplit("\n", 1)[-1]
            for w in ws:
                i = after.find(w)
                if 0 <= i <= gap:
                    return True
                j = before.rfind(w)
                if j >= 0 and len(before) - j - len(w) <= gap:
                    return True
            at = low.find(noun, at + 1)
    return False


def _nouns_index(vocabulary: _Vocabulary) -> dict[str, tuple[str, ...]]:
    """Each noun of ``vocabulary`` with the words of failure of its languages."""
    found: dict[str, list[str]] = {}
    for nouns, words in vocabulary.values():
        for noun in nouns.split("|"):
            found.setdefault(noun, []).extend(words.split("|"))
    return {noun: tuple(dict.fromkeys(ws)) for noun, ws in found.items()}


# A vocabulary's nouns index, by the vocabulary's id (each a module-level dict).
_BY_NOUN: dict[int, dict[str, tuple[str, ...]]] = {}


def _any_of(present: frozenset[str], words: str) -> bool:
    """Whether one of ``words`` (a "|"-separated list, each a key word) is ``present``."""
    return not present.isdisjoint(words.split("|"))


def _unknown_after_smtp(low: str) -> bool:
    """ "smtp", and after it on the same line (at most 60 characters on) a word for unknown
    that is a whole word (no letter, digit or "_" on either side)."""
    at = low.find("smtp")
    while at >= 0:
        rest = low[at + 4 : at + 4 + 60 + _LONGEST].split("\n", 1)[0]
        for w in _UNKNOWN_WORDS.split("|"):
            i = rest.find(w)
            while 0 <= i <= 60:
                k = i + len(w)
                if (i == 0 or not _word_char(rest[i - 1])) and (
                    k >= len(rest) or not _word_char(rest[k])
                ):
                    return True
                i = rest.find(w, i + 1)
        at = low.find("smtp", at + 1)
    return False


def _word_char(c: str) -> bool:
    return c.isalnum() or c == "_"


# -- A login refused: authentication (or login) + failed / error / wrong ------------------
_AUTH: _Vocabulary = {
    "ar": ("المصادقة|مصادقة|الاستيثاق", "فشل|خطأ"),
    "az": ("kimlik doğrulama", "uğursuz|yararsız"),
    "be": ("аўтэнтыфікац", "схібіла|памылка|дрэнн|няправільн"),
    "bg": (
        "удостоверяване|идентификация|автентикация",
        "неуспешн|грешк|грешен|провали|лош|невалид",
    ),
    "bn": ("প্রমাণীকরণ", "ব্যর্থ|ত্রুটি"),
    "ca": ("autenticació|autentificació", "ha fallat|error"),
    "cs": ("autentizac|autentifikac|přihlášení", "nezdařil|selhal|chyb|neplatn"),
    "cy": ("dilysu|dilysiant|dilysiad", "methwyd|methu|methodd|gwall|gwael|annilys"),
    "da": ("godkendelse|autentificering|login", "mislykked|fejl|forkert|ugyldig"),
    "de": (
        "authentifizierung|authentisierung|anmeldung",
        "fehlgeschlagen|fehler|fehlerhaft|gescheitert|falsch|ungültig",
    ),
    "el": (
        "πιστοποίηση|ταυτοποίηση|αυθεντικοποίηση|ελέγχου ταυτότητας|είσοδος στο σύστημα",
        "αποτυχ|απέτυχε|σφάλμα|εσφαλμέν|λανθασμέν|λάθος",
    ),
    "eo": ("aŭtentig|aŭtentokontrol|rajtiĝ", "malsukces|eraro|malĝust|malbon|nevalid"),
    "es": (
        "autenticación|autentificación|autenticidad",
        "falló|fallo|fallida|error|incorrect|inválid",
    ),
    "et": ("autentimi|autoriseerimi|meldimine", "ebaõnnestus|viga|vale|vigane"),
    "eu": ("autentifikazio|egiaztapen", "huts|errore|akats|baliogabe|oker"),
    "fa": ("احراز هویت|هویت‌سنجی", "ناموفق|خطا|نادرست|شکست"),
    "he": ("התחברות|באימות", "לא נכונה|נכשל|שגיאת"),
    "ta": ("அங்கீகார|ஏற்பு", "பிழை|தோல்வி"),
    "fi": (
        "tunnistautumi|todennus|autentikaatio|kirjautumi",
        "epäonnistui|virhe|väärä|huono|viallinen|virheellinen|kelvoton",
    ),
    "fr": ("authentification|identification", "échec|échoué|erreur|mauvais|incorrect|invalide"),
    "ga": ("fíordheimhni|logáil isteach", "theip|earráid"),
    "gl": ("autenticación", "fallo|fallou|erro"),
    "hi": ("ऑथेंटिकेशन", "गड़बड़|नहीं हुआ"),
    "hr": (
        "autentifikacij|autentikacij|autentičnosti|autorizacij|ovjer",
        "nije uspjel|greška|pogrešk|neispravn|loš|kriv",
    ),
    "hu": (
        "hitelesítés|azonosítás|bejelentkezés",
        "sikertelen|nem sikerült|hiba|hibás|rossz|érvénytelen",
    ),
    "id": ("autentikasi|authentikasi|otentikasi", "gagal|galat|salah"),
    "is": ("auðkenning", "mistókst|villa"),
    "it": ("autenticazione|autenticarsi", "non riuscit|fallit|errore|non valid"),
    "ja": ("認証", "失敗|エラー|できません|不正"),
    "ka": ("აუთენტიკაცია|ავთენტიკაცია", "ჩავარდა|შეცდომა"),
    "kk": ("аутентификация", "қате"),
    "ko": ("인증", "실패|오류|에러|잘못된|올바르지"),
    "lt": (
        "autentifikav|autentikacij|autentiškum|tapatybės nustatym|tapatumo nustatym",
        "nepavyko|klaida|neteising|blog|netinkam",
    ),
    "lv": ("autentifikācij", "neizdevās"),
    "ml": ("പ്രാമാണീകരണ", "പരാജയ"),
    "nb": (
        "autentisering|identitetsbekreftelse|godkjenning",
        "mislyktes|feilet|feila|feil|feilaktig|ugyldig",
    ),
    "nl": (
        "authenticatie|aanmelden|aanmelding|identificatie",
        "mislukt|fout|ongeldig|foutie|verkeerd",
    ),
    "pl": (
        "uwierzytelni|autoryzacj|logowani|zalogowani",
        "nie powiod|błąd|błędn|niepoprawn|nieprawidłow|niewłaściw",
    ),
    "pt": (
        "autenticação|autenticacao",
        "falha|falhou|erro|incorret|inválid",
    ),
    "ro": ("autentificare", "eșuat|eşuat|eroare"),
    "ru": (
        "аутентификац|авторизац|проверка подлинности|проверки подлинности",
        "ошибк|сбой|неверн|не удал|неправильн|недопустим|некорректн",
    ),
    "sk": ("autentizáci|autentifikáci|prihlasovani|prihlásen", "zlyhal|neúspešn|chyb|neplatn"),
    "sl": ("overjanj|overitv|overitev|istovetnosti", "spodletel|napak|neuspe|ni uspel|napačn"),
    "sq": ("mirëfilltësim", "dështoi|gabim"),
    "sr": (
        "аутентификациј|пријав|autentifikacij|идентитета",
        "неуспеш|неуспел|није успел|грешк|погрешн|nije uspel|greš|лош|неисправ|loš",
    ),
    "sv": ("autentisering|inloggning", "misslyck|fel uppstod|felaktig|autentiseringsfel|ogiltig"),
    "or": ("ପ୍ରାମାଣିକିକରଣ", "ଵିଫଳ|ବିଫଳ|ତ୍ରୁଟି"),
    "th": ("รับรองความถูกต้อง", "ผิดพลาด"),
    "ug": ("دەلىللەش", "خاتا|رەت قىلدى"),
    "tr": ("kimlik doğrulama|yetkilendirme", "başarısız|hata|geçersiz|hatalı"),
    "uk": (
        "автентифікац|аутентифікац",
        "помилк|невдал|не вдалося|невірн|неправильн|некоректн|поган",
    ),
    "vi": ("xác thực", "thất bại|không thành công|lỗi"),
    "zh": ("认证|認證|身份验证|身分驗證|身份驗證", "失败|失敗|错误|錯誤|无效|無效|不合法|不當"),
}

# -- The connection cut off: connection + closed / lost / reset / interrupted -------------
_LOST: _Vocabulary = {
    "be": ("злучэнне", "закрытае|страчана|перарвана"),
    "bg": ("връзката", "прекратена|затворена|изгубена|прекъсната"),
    "ca": ("connexió", "tancat|tancada|perdut|perduda|interromput"),
    "cs": ("spojení", "uzavř|přeruš|ukončen"),
    "da": ("forbindelse", "lukket|afbrudt|afbrød|mistet"),
    "de": ("verbindung", "geschlossen|verloren|getrennt|unterbrochen|zurückgesetzt|abgebrochen"),
    "el": ("σύνδεση", "έκλεισε|διακόπηκε|χάθηκε|ματαιώθηκε"),
    "eo": ("konekto", "fermit|perdit|restartigit"),
    "es": ("conexión", "cerrada|cerró|perdida|interrumpida|reiniciada|anulado"),
    "et": ("ühendus", "suleti|sulges|katkes"),
    "eu": ("konexio|elkarketa", "itxi|galdu"),
    "fi": ("yhteys|yhteyden", "katkais|katkesi|sulki|suljettu|peruttu"),
    "fr": ("connexion", "fermée|interrompue|perdue|réinitialisée|coupée|fermé la"),
    "hu": ("kapcsolat", "lezár|megszak|bezárta"),
    "id": ("hubungan|koneksi", "ditutup|menutup|terputus"),
    "it": ("connessione", "chius|persa|interrott"),
    "ja": ("接続", "切断|切った|終了"),
    "ko": ("연결|접속", "끊어|끊겼|종료"),
    "lt": ("prisijungim|jungt", "nutraukt|uždar"),
    "nb": ("forbindelse", "lukket|avbrutt|brutt"),
    "nl": ("verbinding", "verbroken|gesloten|beëindigd|verloren"),
    "pl": ("połączeni", "zamknięt|zerwan|przerwan|utracon|zakończon"),
    "pt": ("conexão|ligação", "fechad|encerrad|finalizad|perdid|interrompid|redefinid|cancelad"),
    "ro": ("conexiun", "închis|întrerupt|pierdut|reinițiat"),
    "ru": ("соединени|подключени", "закрыт|разорван|потерян|прерван|сброшен"),
    "sk": ("spojeni|pripojeni", "uzavr|preruš|přeruš|ukončil|zatvor"),
    "sl": ("povezav", "prekinjen|zaprt"),
    "sr": ("вез|повезивањ", "прекинут|затворен|изгубљен"),
    "sv": ("anslutning|förbindelse", "stängd|stängdes|bröts|avbröts|återställdes"),
    "tr": ("bağlantı", "kesildi|kapatıldı|kapattı|koptu"),
    "uk": ("з'єднання|з’єднання|зʼєднання", "закрит|розірван|втрачен|припинен"),
    "vi": ("kết nối", "bị ngắt|bị đóng|đã đóng"),
    "zh": ("连接|連線|联接|聯結|連接", "关闭|中断|重置|断开|中斷|關閉"),
}

# -- The wait ran out: the words for a time-out (no noun needed: the words are the concept)
_TIMEOUT_WORDS = (
    "zeitüberschreitung|wartezeit ist abgelaufen|sitzungszeit abgelaufen|"
    "délai de réponse|délai d'attente dépassé|délai d’attente dépassé|"
    "tiempo de espera agotado|se agotó el tiempo|superado el tiempo de espera|"
    "andata in timeout|tempo di attesa scaduto|"
    "tempo limite|esgotou por tempo|tempo esgotado|"
    "limit czasu|przekroczono czas|"
    "vypršel čas|vypršel časový limit|vypršal časový limit|"
    "время ожидания|истекло время|время сеанса истекло|превышено время|"
    "час очікування|вичерпано час|"
    "изтече времето|просрочка|"
    "λήξη χρόνου|χρονικό όριο|"
    "zaman aşımı|"
    "aikakatkaisu|aikakatkaistu|"
    "tidsgränsen|väntetid|tidsavbrudd|fik timeout|"
    "időtúllépés|idő lejárt|"
    "pasibaigė laikas|skirtasis laikas|"
    "a depășit timpul|timpul sesiunii a expirat|"
    "isteklo je vrijeme|време за|истекло време|"
    "tempopaso|esvalidiĝis|"
    "epemuga|epezkanpo|"
    "hết giờ|"
    "超时|逾時|超時|タイムアウト|시간 초과|시간이 초과|פקיעת זמן|פג הזמן"
)

# -- No connection made: connection / connect + failed / refused / impossible -------------
_CONNECT: _Vocabulary = {
    "be": ("злучэнне|злучыцца", "не атрымалася|нельга|немагчыма"),
    "bg": ("връзката", "се провали|отказана"),
    "cs": ("spojit|spojení|připojení", "selhal|nelze"),
    "da": ("forbindelse", "mislykkedes|afvist"),
    "de": ("verbindung", "abgelehnt|fehlgeschlagen|verweigert|nicht möglich|konnte keine"),
    "el": ("σύνδεση", "απέτυχε|απορρίφθηκε"),
    "eo": ("konekto", "rifuzit|malsukces|ne permesat"),
    "es": ("conexión|conectar", "fallida|rechazada|no se pudo|no se puede"),
    "et": ("ühendus", "ebaõnnestus"),
    "eu": ("elkarketa", "hutsegite|ezin"),
    "fi": ("yhteyttä|yhdistää|yhteydenotto", "epäonnistui|ei saatu|ei voida"),
    "fr": ("connexion|connecter", "a échoué|refusée|impossible|non autorisée"),
    "gl": ("conexión", "fallida"),
    "hr": ("povezati|veza s|veza nije", "ne mogu|nije uspjel"),
    "hu": ("kapcsolódás|csatlakozni|kapcsolatot létesíteni", "nem sikerült|nem lehet"),
    "it": ("connessione|connettersi", "fallita|rifiutata|impossibile"),
    "ja": ("接続", "失敗|できません|拒否"),
    "ko": ("연결", "실패|거부"),
    "lt": ("prisijungti", "nepavyko"),
    "nl": ("verbinding|verbinden", "mislukt|geweigerd|kan niet"),
    "pl": ("połączyć|połączeni", "nie udało|odrzucon|odmow"),
    "pt": ("conexão|conectar", "falhou|falha|recusad|não foi possível|não permitida"),
    "ro": ("conexiun|conexiune", "eșuat|refuzat|nu s-a putut|nu se poate"),
    "ru": ("соединени|подключени", "сбой|отклонен|не удалось|не разрешено"),
    "sk": ("spojenie|pripojenie", "zlyhal|odmietnut"),
    "sl": ("povezava", "ni uspela|zavrnjen"),
    "sr": ("повезивањ|веза|везу|повежем", "није успел|одбијен|нисам успео|није дозвољен"),
    "sv": ("anslutning|förbindelse|ansluta", "misslyckades|vägrades|kan inte|kunde inte"),
    "tr": ("bağlantı", "başarısız|reddedildi|yapılamadı|kurulamadı"),
    "uk": ("з'єднання|з’єднання|з'єднатися|з’єднатися", "невдач|відмовлено|не вдалося|помилка"),
    "vi": ("kết nối", "thất bại|bị từ chối"),
    "zh": ("连接|連線|联接", "失败|失敗|拒绝|拒絕|无法|無法"),
    "ug": ("ئۇلىنىش", "مەغلۇپ"),
}

# -- The host not found: host + not found / unknown ---------------------------------------
_HOST: _Vocabulary = {
    "bg": ("хостът|хоста", "не може да бъде намерен|неизвестен"),
    "ca": ("l’estació|l'estació|amfitrió", "no s’ha pogut trobar|no s'ha pogut trobar|desconegut"),
    "cs": ("počítač|hostitel", "nelze nalézt|nenalezen|neznám"),
    "da": ("værten|vært", "kunne ikke finde|ukendt|ikke fundet"),
    "de": ("host|rechner", "nicht gefunden|kann nicht gefunden|nicht finden|unbekannt"),
    "el": ("διακομιστή|υπολογιστή", "αδυναμία εύρεσης"),
    "eo": ("retnodo|servilon", "ne trovit|ne eblis trovi|ne eblas loki"),
    "es": (
        "host|servidor smtp|dirección del servidor",
        "no encontrado|no se encontró|no se puede localizar|desconocido",
    ),
    "et": ("masina", "ei leia"),
    "eu": ("ostalaria|smtp zerbitzaria", "ezin da|ez da aurkitu"),
    "fi": ("palvelinta|isäntä", "ei löytynyt|ei löydy|tuntematon"),
    "fr": (
        "machine|hôte|serveur smtp",
        "impossible de trouver|non trouvé|introuvable|impossible de résoudre|inconnu",
    ),
    "hu": ("host|smtp szerver", "nem található|ismeretlen"),
    "id": ("host", "tidak dapat menemukan|tidak ditemukan"),
    "it": ("host", "impossibile trovare|non trovato|sconosciuto"),
    "ja": ("ホスト|smtpサーバ", "見つかりません|見つからな"),
    "ko": ("호스트", "찾을 수 없"),
    "lt": ("serverio", "neradau|nerastas"),
    "nb": ("verten|vert", "kunne ikke finne|ukjent"),
    "nl": ("adres van server|host", "niet achterhalen|niet gevonden|onbekend"),
    "pl": ("host", "nie został znaleziony|nie znaleziono|nieznany"),
    "pt": ("host|servidor smtp", "não encontrado|não foi possível localizar|desconhecido"),
    "pt-server": ("encontrar o servidor", "não foi possível"),
    "ro": ("gazda", "nu a fost găsită|nu se poate localiza|necunoscut"),
    "ru": (
        "адрес сервера|узел|сервер smtp",
        "не удалось определить|не удалось обнаружить|не найден|неизвестн",
    ),
    "sk": ("hostiteľa|hostitela", "nemožno nájsť|nenájden"),
    "sr": ("хост|домаћина", "не може се наћи|не могу да нађем|нисам нашао|нисам пронашао"),
    "sv": ("värden|värd", "kunde inte hitta|kan inte hitta|hittades inte|okänd"),
    "tr": ("makinesi|smtp sunucusu", "bulunamadı"),
    "uk": (
        "адресу|вузла|smtp-сервер",
        "не вийшло знайти|не знайдено|не вдалося встановити розташування",
    ),
    "zh": ("主机|主機|smtp服务器|smtp 服务器", "找不到|未找到|无法找到|无法定位"),
}

# -- The TLS session failed: TLS + could not / failed --------------------------------------
_TLS_FAILED_WORDS = (
    "tls-aushandlung fehlgeschlagen|tls-sitzung nicht|keine tls-verbindung|"
    "négocier la connexion tls|initier la session tls|poignée de main tls|"
    "negociar una conexión tls|iniciar la sesión tls|apretón de manos tls|"
    "negoziare la connessione tls|avviare la sessione tls|"
    "negociar conexão tls|iniciar sessão tls|handshake tls falhou|"
    "sesji tls|połączenie tls nie|"
    "navázat tls|relaci tls|vytvoriť tls|vyjednať tls|"
    "tls-соединение|сеанса tls|инициализации tls|"
    "сесію tls|tls з’єднання|ініціалізації tls|"
    "tls връзка|tls сесия|σύνδεσης tls|συνεδρία tls|"
    "tls bağlantısı|tls oturumu|"
    "tls-yhteyttä|tls-istuntoa|"
    "tls-session|tls-anslutning|tls-handskakning|tls-forbindelse|"
    "tls menetet|tls kapcsolatot|"
    "tls sesijos|tls jungties|sesiunea tls|negocierea tls|"
    "sejo tls|tls sesiju|тлс сесију|tls повезивање|руковање|"
    "tls sessie|tls connectie|"
    "tls-manpremo|tls-konekton|"
    "tls 握手|tls 连接|tls 会话|tls 連線|tls セッション|tls 接続|tls 세션|tls 연결"
)

# -- A certificate refused: certificate + expired / untrusted / does not match / failed ---
_CERT: _Vocabulary = {
    "be": ("сертыфікат", "схібіла"),
    "bg": ("сертификат", "изтекъл"),
    "ca": ("certificat", "ha expirat|no concorda"),
    "cs": ("certifikát", "nedůvěryhodn|vypršel|selhal|neshoduje"),
    "da": ("certifikat", "udløbet|matcher ikke|ikke betroet"),
    "de": (
        "zertifikat",
        "abgelaufen|nicht vertraut|fehlgeschlagen|fehlgschlagen|entspricht nicht|ungültig",
    ),
    "el": ("πιστοποιητικ", "έχει λήξει|απέτυχε|δεν ταιριάζει"),
    "eo": ("atestil", "eksvalidiĝ|nefidind|malsukces|ne kongruas"),
    "es": (
        "certificado",
        "vencido|no confiable|falló|fallo en la verificación|no coincide|caducado",
    ),
    "et": ("sertifikaat", "aegunud"),
    "eu": ("ziurtagiri|egiaztagiri", "denboraz kanpo|hutsegite"),
    "fi": ("sertifikaat|varmentee", "vanhentunut|epäonnistui|ei täsmää"),
    "fr": (
        "certificat",
        "a expiré|n'a pas pu être validé|a échoué|ne correspond pas|non fiable"
        "|échec de la vérification",
    ),
    "ga": ("teastas", "as feidhm|comhoiriúnach"),
    "gl": ("certificado", "expirou"),
    "hu": ("tanúsítvány|tanusítvány", "lejárt|nem megbízható|nem sikerült|nem egyezik"),
    "id": ("sertifikat", "kadaluwarsa|tidak cocok"),
    "it": ("certificato", "scaduto|fallita|non corrisponde|non attendibile"),
    "ja": ("証明書", "期限切れ|検証できません|一致しない"),
    "ko": ("인증서", "만기|만료"),
    "lt": ("sertifikat", "paseno|nepatikimas|neatitinka"),
    "nb": ("sertifikat", "utløpt|samsvarer ikke"),
    "nl": ("certificaat", "verlopen|mislukt|komt niet overeen"),
    "pl": ("certyfikat", "utracił ważność|niepowodzeniem|nie odpowiada"),
    "pt": ("certificado", "expirou|falhou|não coincide"),
    "ro": ("certificatului", "a eșuat"),
    "ru": ("сертификат", "не прошёл проверку|истек|не соответствует|сбой проверки"),
    "sk": ("certifikát", "nedôveryhodn|vypršal|nezhoduje"),
    "sr": ("сертификат|уверењ", "без поверења|истекао|не одговара|није успел"),
    "sv": ("certifikat", "har utgått|inte pålitligt|misslyckades|matchar inte"),
    "tr": ("sertifika", "güvenilmeyen|süresi dolmuş|başarısız|uyuşmuyor"),
    "uk": ("сертифікат", "невдача перевірки|не пройшов перевірки|вичерпано|не відповідає"),
    "zh": ("证书|憑證|認證", "验证失败|驗證失敗|已过期|過期|不匹配"),
    # Thunderbird for Android's "Certificate error" (notification_certificate_error_public)
    "ar": ("الشهادة", "خطأ"),
    "et-k9": ("sertifikaa", "viga"),
    "fa": ("گواهی", "خطا"),
    "he": ("תעודה|בתעודה", "שגיאה|שגיאת"),
    "hi": ("प्रमाणपत्र|सर्टिफिकेट", "त्रुटि|गड़बड़"),
    "id-k9": ("sertifikat", "galat|kesalahan"),
    "kk": ("сертификат", "қате"),
    "lt-k9": ("liudijim|sertifikat", "klaida"),
    "ml": ("സർട്ടിഫിക്കറ്റ്", "പിശക്"),
    "ta": ("சான்றிதழ்", "பிழை"),
    "vi": ("chứng chỉ", "lỗi"),
}

# -- STARTTLS not offered: the server does not support STARTTLS ----------------------------
_STARTTLS_WORDS = (
    "unterstützt über den stls-befehl kein tls|unterstützt über den starttls-befehl kein tls|"
    "ne supporte pas tls via la commande|"
    "no admite tls a través de la orden|"
    "não suporta tls através do comando|"
    "nu acceptă tls prin intermediul comenzii|"
    "не поддерживает tls на основе команды|"
    "не передбачено підтримки tls на основі команди|"
    "не подржава „tls“ путем|"
    "stöder inte tls via kommandot|"
    "ne regas tls-on per la komando|"
    "不支持通过 starttls"
)

# -- The service not available: service + not available ----------------------------------
_SERVICE: _Vocabulary = {
    "ar": ("الخدمة|خدمة", "غير متاح|غير متوفر"),
    "bg": ("услуга", "не е налич|не е достъпн|недостъпн|липсва"),
    "ca": ("servei", "no està disponible|no es troba disponible|no disponible"),
    "cs": ("služb", "nedostupn|není dostupn|není k dispozici"),
    "da": ("tjeneste", "ikke tilgængelig|utilgængelig"),
    "de": ("dienst", "nicht verfügbar"),
    "el": ("υπηρεσία", "δεν είναι διαθέσιμ|δεν διατίθεται|μη διαθέσιμ"),
    "es": ("servicio", "no disponible|no está disponible"),
    "et": ("teenus", "pole saadav|ei ole saadaval"),
    "eu": ("zerbitzu", "ez dago erabilgarri|ez da erabilgarria|ez dago eskuragarri"),
    "fa": ("خدمت|سرویس", "در دسترس نیست"),
    "fi": ("palvelu", "ei ole käytettävissä|ei käytettävissä"),
    "fr": ("service", "non disponible|indisponible|pas disponible"),
    "fur": ("servizi", "nol è disponibil|no disponibil"),
    "gl": ("servizo", "non está dispoñible|non dispoñible"),
    "he": ("שירות|השירות", "לא זמין|אינו זמין"),
    "hr": ("usluga", "nije dostupn|nedostupn"),
    "hu": ("szolgáltatás", "nem érhető el|nem elérhető"),
    "id": ("layanan", "tidak tersedia"),
    "it": ("servizio", "non disponibile|non è disponibile"),
    "ja": ("サービス", "利用できません"),
    "ms": ("perkhidmatan", "tidak tersedia"),
    "ka": ("სერვის", "მიუწვდომელია"),
    "kk": ("қызмет", "қол жетімсіз"),
    "ko": ("서비스", "사용할 수 없"),
    "lt": ("paslaug", "neprieinam|negalima"),
    "nb": ("tjeneste", "ikke tilgjengelig|utilgjengelig"),
    "nl": ("dienst|service", "niet beschikbaar"),
    "pl": ("usług", "niedostępn|nie jest dostępn"),
    "pt": ("serviço", "indisponível|não disponível|não está disponível"),
    "ro": ("servici", "indisponibil|nu este disponibil"),
    "ru": ("служб|услуг|сервис", "недоступн|не доступн"),
    "sk": ("služb", "nie je dostupn|nedostupn|nie je k dispozícii"),
    "sl": ("storitev|servis", "ni na razpolago|ni na voljo"),
    "sr": ("услуг|usluga", "није доступ|недоступ|nije dostup"),
    "sv": ("tjänst", "inte tillgänglig|ej tillgänglig|otillgänglig"),
    "tr": ("hizmet", "kullanılamıyor|kullanılabilir değil"),
    "uk": ("служб|послуг", "недоступн"),
    "vi": ("dịch vụ", "không sẵn có|không khả dụng"),
    "zh": ("服务|服務", "不可用|無可用"),
    "km": ("សេវា", "មិន\u200bអាច|មិន\u200bមាន"),  # (a zero-width space between Khmer words)
    "ug": ("مۇلازىمەت", "ئىشلەتكىلى بولمايدۇ"),
}

# -- The server's greeting (or welcome) named, with an error: stage greeting ---------------
_GREETING: _Vocabulary = {
    "be": ("прывітанн|вітаем", "памылка"),
    "ca": ("benvinguda|salutació", "error"),
    "cs": ("pozdrav|uvítá", "chyb"),
    "da": ("velkomst|velkommen", "fejl"),
    "de": ("begrüßung|willkommen", "fehler"),
    "el": ("υποδοχής|καλωσορίσματος|χαιρετισμ", "σφάλμα"),
    "es": ("bienvenida|saludo", "error"),
    "eu": ("agur|ongi etorri", "errore|akats"),
    "fi": ("tervehdy|tervetulo", "virhe"),
    "fr": ("bienvenue|bannière", "erreur"),
    "fur": ("benvign", "erôr"),
    "gl": ("benvida|saúdo", "erro"),
    "hr": ("pozdrav|dobrodošlic", "greška|pogreška"),
    "hu": ("üdvözl", "hiba"),
    "it": ("benvenuto|saluto", "errore"),
    "ja": ("ようこそ|挨拶", "エラー"),
    "ko": ("환영|인사", "오류"),
    "nb": ("velkommen|hilsen", "feil"),
    "nl": ("welkom|begroeting", "fout"),
    "pl": ("powitani", "błąd"),
    "pt": ("boas-vindas|saudação", "erro"),
    "ro": ("salut|bun venit", "eroare"),
    "ru": ("приветстви", "ошибк"),
    "sk": ("pozdrav|uvítani", "chyb"),
    "sl": ("pozdrav|dobrodošlic", "napak"),
    "sr": ("поздрав|добродошлиц", "грешк"),
    "sv": ("hälsning|välkomst", "fel"),
    "tr": ("karşılama|hoş geldin", "hata"),
    "uk": ("привітанн|запрошенн", "помилк"),
    "zh": ("问候|問候|欢迎|歡迎|迎接", "错误|錯誤"),
    "fa": ("خوش آمد", "خطا"),
    "he": ("ברוך", "שגיאה|שגיאת"),
    "kk": ("қош келдіңіз", "қате"),
    "id": ("selamat datang", "galat|kesalahan"),
    "lt": ("sveiki", "klaida"),
    "bn": ("স্বাগতম", "ত্রুটি|সমস্যা"),
    "et": ("tere tulemast", "viga"),
    "or": ("ସ୍ୱାଗତ", "ତ୍ରୁଟି"),
    "ug": ("مەرھابا", "خاتا"),
    "ar": ("مرحبا", "خطأ"),
    "bs": ("dobro došli", "greška"),
    "is": ("velkomin", "villa"),
    "km": ("ស្វាគមន៍", "កំហុស"),
    "mk": ("добредојдовте", "грешка"),
    "nn": ("velkomen", "feil"),
    "th": ("ยินดีต้อนรับ", "ผิดพลาด"),
}

# -- The recipient's mailbox full: the mailbox + full (FairEmail's ``title_legend_quota``,
# "Mailbox almost full", whose words of a full mailbox are the concept's) -----------------
_FULL: _Vocabulary = {
    "ar": ("صندوق الوارد|صندوق البريد", "الإمتلاء|الامتلاء|ممتلئ"),
    "az": ("poçt qutusu", "dolub|doludur"),
    "be": ("паштовая скрыня|паштовай скрыні", "поўная"),
    "bg": ("пощенската кутия", "пълна"),
    "bs": ("poštanski sanduk", "pun"),
    "cs": ("poštovní schránka|schránka", "plná"),
    "da": ("postkasse", "fuld"),
    "de": ("postfach", "voll"),
    "el": ("γραμματοκιβώτιο", "γεμάτο"),
    "es": ("buzón", "lleno"),
    "et": ("postkast", "täis"),
    "fi": ("postilaatikko", "täynnä|täysi"),
    "fr": ("boîte aux lettres", "pleine"),
    "gl": ("caixa de entrada", "chea"),
    "he": ("תיבת הדוא״ל|תיבת הדואר", "מלאה"),
    "hr": ("poštanski sandučić", "pun"),
    "hu": ("postaláda", "tele"),
    "id": ("kotak pesan|kotak surat", "penuh"),
    "it": ("casella email|casella di posta", "piena"),
    "ja": ("メールボックス", "残りわずか|いっぱい"),
    "ko": ("편지함", "가득"),
    "nl": ("mailbox", "vol"),
    "pl": ("skrzynka pocztowa", "pełna"),
    "pt": ("caixa de entrada|caixa de correio", "cheia"),
    "ro": ("căsuța poștală", "plină"),
    "ru": ("почтовый ящик", "заполнен"),
    "sk": ("poštová schránka", "plná"),
    "sl": ("poštni predal", "poln"),
    "sv": ("brevlåda", "full"),
    "tr": ("posta kutusu", "dolu"),
    "uk": ("поштова скринька", "заповнена"),
    "vi": ("hộp thư", "đầy"),
    "zh": ("邮箱|信箱", "已满|快滿"),
}

# -- The message too big: message + too large (neomutt's "Email too large to preview"), and
# msmtp's "Maximum message size is" whole --------------------------------------------------
_SIZE: _Vocabulary = {
    "cs": ("email|e-mail|zpráva", "příliš velk"),
    "de": ("e-mail|nachricht", "zu groß"),
    "eo": ("retpoŝtaĵo|mesaĝo", "tro grand"),
    "fr": ("message", "trop volumineux"),
    "hu": ("levél|üzenet", "túl nagy"),
    "lt": ("laiškas", "per didelis"),
    "sk": ("email|e-mail|správa", "príliš veľk"),
    "sr": ("порука", "превелик"),
    "tr": ("e-posta|ileti", "pek büyük"),
}
_SIZE_WORDS = (
    "maximale mailgröße|maksimuma mesaĝgrando|tamaño máximo de mensaje|"
    "taille maximum de message|dimensiunea maximă a mesajului|"
    "максимальная длина сообщения|максимальний розмір повідомлення|"
    "највећа величина поруке|maximal meddelandestorlek|tamanho máximo da mensagem|最大消息大小"
)

# -- The SMTP server called unknown: "SMTP" and, after it, the language's word for unknown
# (the catalogues' "Unknown", "unknown"), standing last in its word ("the outgoing server
# (SMTP) smtp.example.com is unknown"; not "unknown error", whose adjective is inflected or
# followed by its noun)
_UNKNOWN_WORDS = (
    "невядома|непознат|desconegut|neznámý|ukendt|unbekannt|άγνωστος|άγνωστο|nekonata|"
    "desconocido|tundmatu|ezezaguna|ناشناخته|tuntematon|inconnu|descoñecido|לא ידוע|"
    "nepoznat|ismeretlen|tak dikenal|sconosciuto|უცნობია|უცნობი|белгісіз|nežinomas|ukjent|"
    "onbekend|nieznany|desconhecido|necunoscut|неизвестен|неизвестный|neznámy|neznan|"
    "okänd|bilinmiyor|невідомий|không xác định"
)


def _concept(id: str, category: Category, meaning: str, *causes: str, **kw: Any) -> TextPattern:
    """A weak (``specific=False``) reading of a concept, as a table pattern would give it;
    its regex field names the concept only (the words are matched by :data:`CONCEPTS`)."""
    return TextPattern(
        id,
        LazyRegex(f"(?!)concept:{id}"),
        category,
        meaning,
        causes,
        kw.get("source", "i18n"),
        kw.get("stage"),
        None,
        None,
        kw.get("retry"),
        None,
        False,
    )


# Each concept's reading and its test on a lower-cased text, in order: the first whose
# words a text holds reads it.
CONCEPTS: tuple[tuple[TextPattern, Callable[[str, frozenset[str]], bool]], ...] = (
    (
        _concept(
            "i18n.words.certificate",
            _C.TLS_CERTIFICATE,
            "The server's certificate was not accepted: expired, untrusted, or not for the "
            "server's name (said in the mail program's own language).",
            "Install a certificate from a public CA for the server's name, with its full chain, "
            "and renew it before it expires.",
            source="i18n",
            stage=_S.TLS_HANDSHAKE,
        ),
        lambda low, present: pair_found(low, _CERT, _GAP, present),
    ),
    (
        _concept(
            "i18n.words.starttls_unsupported",
            _C.STARTTLS_UNAVAILABLE,
            "The server does not offer STARTTLS, and the mail program was set to use it (said "
            "in the program's own language).",
            "The server's STARTTLS is off, or a middlebox strips it from the EHLO reply.",
            source="i18n",
            stage=_S.STARTTLS,
        ),
        lambda low, present: _any_of(present, _STARTTLS_WORDS),
    ),
    (
        _concept(
            "i18n.words.tls_failed",
            _C.TLS_HANDSHAKE_FAILURE,
            "The TLS session with the server could not be set up (said in the mail program's "
            "own language).",
            "No TLS version or cipher in common, or a middlebox that breaks the handshake.",
            source="i18n",
            stage=_S.TLS_HANDSHAKE,
        ),
        lambda low, present: _any_of(present, _TLS_FAILED_WORDS),
    ),
    (
        _concept(
            "i18n.words.auth_failed",
            _C.AUTHENTICATION,
            "The server refused the login (said in the mail program's own language): the user "
            "name, the password or the login method was not accepted.",
            "A wrong password, an app password or OAuth the provider requires, or a login "
            "method the server does not offer.",
            source="i18n",
            stage=_S.AUTH,
        ),
        lambda low, present: pair_found(low, _AUTH, _GAP, present),
    ),
    (
        _concept(
            "i18n.words.service_unavailable",
            _C.SERVICE_UNAVAILABLE,
            "The server's mail service is not available now (said in the mail program's or the "
            "server's own language).",
            "Overload, maintenance, or a backend it depends on is down.",
            source="i18n",
            retry=True,
        ),
        lambda low, present: pair_found(low, _SERVICE, 24, present),
    ),
    (
        _concept(
            "i18n.words.message_too_big",
            _C.MESSAGE_SIZE,
            "The message is larger than the server takes (said in the mail program's own "
            "language).",
            "Large attachments; send a link instead, or split the message.",
            source="i18n",
            stage=_S.MESSAGE,
        ),
        lambda low, present: _any_of(present, _SIZE_WORDS) or pair_found(low, _SIZE, 24, present),
    ),
    (
        _concept(
            "i18n.words.mailbox_full",
            _C.RECIPIENT,
            "The recipient's mailbox is full (said in the mail program's or the server's own "
            "language).",
            "The recipient must delete mail or have the quota raised; retrying later may work.",
            source="i18n",
            retry=True,
        ),
        lambda low, present: pair_found(low, _FULL, 24, present),
    ),
    (
        _concept(
            "i18n.words.timed_out",
            _C.NETWORK_TIMEOUT,
            "The server stopped answering and the mail program's wait ran out (said in the "
            "program's own language).",
            "A slow or congested link, a firewall that drops the packets, or a server that "
            "stalls under load.",
            source="i18n",
        ),
        lambda low, present: _any_of(present, _TIMEOUT_WORDS),
    ),
    (
        _concept(
            "i18n.words.server_unknown",
            _C.DNS_RESOLUTION,
            "The mail program could not find the SMTP server's name: it calls the server "
            "unknown (said in the program's own language).",
            "A typo in the server name, or no working DNS where the program runs.",
            source="i18n",
            stage=_S.DNS,
        ),
        lambda low, present: "smtp" in present and _unknown_after_smtp(low),
    ),
    (
        _concept(
            "i18n.words.host_not_found",
            _C.DNS_RESOLUTION,
            "The mail server's name could not be found in DNS (said in the mail program's own "
            "language).",
            "A typo in the server name, or no working DNS where the program runs.",
            source="i18n",
            stage=_S.DNS,
        ),
        lambda low, present: pair_found(low, _HOST, 32, present),
    ),
    (
        _concept(
            "i18n.words.connection_lost",
            _C.CONNECTION_DROPPED,
            "The connection to the server broke off (closed or reset by the other side; said in "
            "the mail program's own language).",
            "An unstable network, a middlebox that cuts sessions, or the server dropping the "
            "client.",
            source="i18n",
            stage=_S.NONE,
        ),
        lambda low, present: pair_found(low, _LOST, _GAP, present),
    ),
    (
        _concept(
            "i18n.words.connect_failed",
            _C.FIREWALL_BLOCK,
            "The mail program could not connect to the server (said in its own language): "
            "nothing listens there, or the port is refused or filtered.",
            "A wrong server name or port, or a firewall that blocks the SMTP port.",
            source="i18n",
            stage=_S.CONNECT,
        ),
        lambda low, present: pair_found(low, _CONNECT, _GAP, present),
    ),
)
_BY_ID = {p.id: p for p, _ in CONCEPTS}


def _all_keys() -> list[str]:
    """Every word a concept's test needs one of: the nouns, the word lists, "smtp"."""
    keys = [n for v in _VOCABULARIES for nouns, _ in v.values() for n in nouns.split("|")]
    for words in (_STARTTLS_WORDS, _TLS_FAILED_WORDS, _TIMEOUT_WORDS, _SIZE_WORDS):
        keys += words.split("|")
    return sorted({*keys, "smtp"})


_VOCABULARIES = (_AUTH, _LOST, _CONNECT, _HOST, _CERT, _SERVICE, _SIZE, _GREETING, _FULL)
# The key words by their first three characters, and those shorter (made on first use).
_BY_START: dict[str, tuple[str, ...]] = {}
_SHORT: list[str] = []
_LAST: list[tuple[str, frozenset[str]]] = [("", frozenset())]


def key_words(low: str) -> frozenset[str]:
    """The key words lower-cased ``low`` holds: only the keys whose first three characters
    stand in it are looked for (the word index's own scan without its automaton), and the
    last text's answer is kept (the stage and the cause ask for the same text)."""
    last = _LAST[0]
    if last[0] == low:
        return last[1]
    if not _BY_START:
        by_start: dict[str, list[str]] = {}
        for key in _all_keys():
            if len(key) >= 3:
                by_start.setdefault(key[:3], []).append(key)
            else:
                _SHORT.append(key)
        _BY_START.update((k, tuple(v)) for k, v in by_start.items())
    triples = {low[i : i + 3] for i in range(len(low) - 2)}
    found = frozenset(
        [key for t in triples & _BY_START.keys() for key in _BY_START[t] if key in low]
        + [key for key in _SHORT if key in low]
    )
    _LAST[0] = (low, found)
    return found


def concept_by_id(id: str) -> TextPattern | None:
    return _BY_ID.get(id)


def concept_match(text: str) -> TextPattern | None:
    """The first concept whose words ``text`` holds (in its own language), or None."""
    low = text.lower()
    present = key_words(low)
    if not present:
        return None
    for p, found in CONCEPTS:
        if found(low, present):
            return p
    return None


def concept_stage(text: str) -> Stage | None:
    """The greeting, when ``text`` names it (or its welcome) with an error, in the words of
    the languages above ("Üdvözlő válasz hiba", "Erreur lors de la réponse de bienvenue")."""
    low = text.lower()
    present = key_words(low)
    return _S.GREETING if present and pair_found(low, _GREETING, 32, present) else None
