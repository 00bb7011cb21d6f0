"""PHPMailer's own SMTP error messages, in every language it ships.

PHPMailer (the mailer of most PHP applications: WordPress, Joomla, Moodle,
phpBB, ...) raises its failures in the user's language from its message
table (``language/phpmailer.lang-*.php``; English in ``PHPMailer::setLanguage``).
Users worldwide paste these sentences, which carry no reply code. Each key
means one code path (``src/PHPMailer.php``, ``smtpConnect``/``smtpSend``):

* ``connect_host`` / ``smtp_connect_failed``: the TCP (or TLS) connect to the
  SMTP host failed: a client connect failure without a stated reason;
* ``authenticate``: the AUTH exchange was refused;
* ``from_failed``: the server refused MAIL FROM (the sender);
* ``recipients_failed``: the server refused RCPT TO for these recipients;
* ``data_not_accepted``: DATA or the message after it was refused (no
  reason given: ``other`` at DATA, as the English sentence reads).

Every entry is weak (``specific=False``): a reason or reply beside it (the
server's quoted reply, "Connection refused", a certificate error) decides.
The table holds every language PHPMailer ships: it was first built from the
languages whose files sat in the line corpus's tune split, then completed with
the held-back ones (a message table is data to hold whole; that collection's
rows no longer measure unseen texts: docs/explain.md, tests/unit/test_explain.py's
``TABLE_COLLECTIONS``).

Polish mail clients' own messages for SMTP replies (``LOCAL_CLIENT_PATTERNS``,
``library.client_pl.*``, session 12) follow: a login refused or required, encryption
required, a domain that takes no mail, a user not local, a mailbox unavailable, server
storage full, a sending limit; and Czech ones for a refused login.
"""

from __future__ import annotations

import re

from smtpdoctor.knowledge.phrasing import TextPattern, built_source, pattern
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "CLIENT_LANGUAGE_PATTERNS",
    "LOCAL_CLIENT_PATTERNS",
    "phrase_regex",
    "template_regex",
]

# Generated from PHPMailer's language files (every language it ships).
_PHPMAILER_COMMIT = "4a489474e7ef8bbf03c1cb219d8939ea76a7fb40"
_LANGUAGES = (
    "af",
    "ar",
    "as",
    "az",
    "ba",
    "be",
    "bg",
    "bn",
    "ca",
    "cs",
    "da",
    "de",
    "el",
    "en",
    "eo",
    "es",
    "et",
    "fa",
    "fi",
    "fo",
    "fr",
    "gl",
    "he",
    "hi",
    "hr",
    "hu",
    "hy",
    "id",
    "it",
    "ja",
    "ka",
    "ko",
    "ku",
    "lt",
    "lv",
    "mg",
    "mn",
    "ms",
    "nb",
    "nl",
    "pl",
    "pt",
    "pt_br",
    "ro",
    "ru",
    "si",
    "sk",
    "sl",
    "sr",
    "sr_latn",
    "sv",
    "tl",
    "tr",
    "uk",
    "ur",
    "vi",
    "zh",
    "zh_cn",
)
_TABLE: dict[str, tuple[str, ...]] = {
    "connect_host": (
        "Błąd SMTP: nie udało się połączyć z serwerem (hostem)",
        "Chyba SMTP: Nelze navázat spojení se SMTP serverem",
        "Eroare SMTP: Conectarea la serverul SMTP a eșuat",
        "Erreur SMTP\u202f: impossible de se connecter au serveur SMTP",
        "Erro SMTP: Non puido conectar co servidor SMTP",
        "Erro de SMTP: Não foi possível conectar ao servidor SMTP",
        "Error SMTP: No es pot connectar al servidor SMTP",
        "Kesalahan SMTP: Tidak dapat terhubung ke host SMTP",
        "Lỗi SMTP: Không thể kết nối máy chủ SMTP",
        "Ralat SMTP: Tidak dapat menghubungi hos pelayan SMTP",
        "SMTP -ի սխալ: չհաջողվեց կապ հաստատել SMTP սերվերի հետ",
        "SMTP Error: Could not connect to SMTP host",
        "SMTP Error: Hindi makakonekta sa SMTP host",
        "SMTP Error: Impossibile connettersi all'host SMTP",
        "SMTP Error: Tsy afaka mampifandray amin'ny mpampiantrano SMTP",
        "SMTP Greška: Ne mogu se spojiti na SMTP poslužitelj",
        "SMTP Greška: Nije moguće spojiti se sa SMTP serverom",
        "SMTP Kļūda: Nevar izveidot savienojumu ar SMTP serveri",
        "SMTP Viga: Ei õnnestunud luua ühendust SMTP serveriga",
        "SMTP feilur: Kundi ikki knýta samband við SMTP vert",
        "SMTP fejl: Forbindelse til SMTP serveren kunne ikke oprettes",
        "SMTP hiba: nem lehet kapcsolódni az SMTP-szerverhez",
        "SMTP napaka: Vzpostavljanje povezave s SMTP gostiteljem ni uspelo",
        "SMTP xətası: SMTP serverinə qoşulma uğursuz oldu",
        "SMTP грешка: Не може да се свърже с SMTP хоста",
        "SMTP грешка: повезивање са SMTP сервером није успело",
        "SMTP ত্রুটি: SMTP সার্ভারের সাথে সংযোগ করতে অক্ষম৷",
        "SMTP ত্ৰুটি: SMTP চাৰ্ভাৰৰ সৈতে সংযোগ কৰিবলে অক্ষম",
        "SMTP දෝෂය: සම්බන්ධ වීමට නොහැකි විය",
        "SMTP 錯誤：無法連線到 SMTP 主機",
        "SMTP 오류: SMTP 호스트에 접속할 수 없습니다",
        "SMTP-eraro: Ne eblis konektiĝi al la SMTP-gastiganto",
        "SMTP-feil: Kunne ikke koble til SMTP-vert",
        "SMTP-fout: kon nie aan SMTP-verbind nie",
        "SMTP-fout: kon niet verbinden met SMTP-host",
        "SMTP-virhe: yhteys palvelimeen ei onnistu",
        "Σφάλμα SMTP: Αδυναμία σύνδεσης με τον φιλοξενητή SMTP",
        "Алдаа SMTP: SMTP- сервертэй холбогдож болохгүй байна",
        "Ошибка SMTP: не удается подключиться к SMTP-серверу",
        "Памылка SMTP: нельга ўстанавіць сувязь з SMTP-серверам",
        "Помилка SMTP: не вдається під'єднатися до SMTP-серверу",
        "שגיאת SMTP: לא הצלחתי להתחבר לשרת SMTP",
        "خطأ SMTP: لا يمكن الاتصال بالخادم SMTP",
        "خطای SMTP: اتصال به سرور SMTP برقرار نشد",
        "هەڵەی SMTP: نەتوانرا پەیوەندی بە سێرڤەرەوە بکات SMTP",
        "SMTP-Fehler: Konnte keine Verbindung zum SMTP-Host herstellen",
        "Verbindung zum SMTP-Server fehlgeschlagen",
        "Error SMTP: Imposible conectar al servidor SMTP",
        "SMTP Connect() falló",
        "SMTP त्रुटि: SMTP सर्वर से कनेक्ट नहीं हो सका।",
        "SMTP का connect () फ़ंक्शन विफल हुआ।",
        "SMTPエラー: SMTPホストに接続できませんでした",
        "SMTP接続に失敗しました",
        "SMTP შეცდომა: SMTP სერვერთან დაკავშირება შეუძლებელია",
        "შეცდომა SMTP სერვერთან დაკავშირებისას",
        "SMTP klaida: nepavyksta prisijungti prie SMTP stoties",
        "SMTP susijungimo klaida",
        "Erro SMTP: Não foi possível ligar ao servidor SMTP",
        "Falha na função SMTP connect()",
        "SMTP Error: Nebolo možné nadviazať spojenie so SMTP serverom",
        "SMTP Connect() zlyhalo",
        "SMTP greška: povezivanje sa SMTP serverom nije uspelo",
        "Povezivanje sa SMTP serverom nije uspelo",
        "SMTP fel: Kunde inte ansluta till SMTP-server",
        "SMTP Connect() misslyckades",
        "SMTP Hatası: SMTP sunucusuna bağlanılamadı",
        "SMTP connect() fonksiyonu başarısız",
        "SMTP خرابی: سرور سے منسلک ہونے سے قاصر۔",
        "SMTP ملنا ناکام ہوا",
        "SMTP 错误：无法连接到 SMTP 主机",
        "SMTP服务器连接失败",
    ),
    "smtp_connect_failed": (
        "Ang SMTP connect() ay nabigo",
        "Conectarea la serverul SMTP a eșuat",
        "Ha fallat el SMTP Connect()",
        "Hiba az SMTP-kapcsolatban",
        "La SMTP-konektiĝo malsukcesis",
        "La fonction SMTP connect() a échoué",
        "Lỗi kết nối với SMTP",
        "Ne morem vzpostaviti povezave s SMTP strežnikom",
        "Nie udało się nawiązać połączenia za pomocą SMTP Connect()",
        "SMTP -ի connect() ֆունկցիան չի հաջողվել",
        "SMTP Connect() ebaõnnestus",
        "SMTP Connect() failed",
        "SMTP Connect() falhou",
        "SMTP Connect() fallita",
        "SMTP Connect() fallou",
        "SMTP Connect() fejlede",
        "SMTP Connect() gagal",
        "SMTP Connect() selhal",
        "SMTP Connect() telah gagal",
        "SMTP Connect() غير ممكن",
        "SMTP Connect()پەیوەندی شکستی هێنا",
        "SMTP connect() failed",
        "SMTP connect() mislyktes",
        "SMTP savienojuma kļūda",
        "SMTP serverinə qoşulma uğursuz oldu",
        "SMTP провален connect()",
        "SMTP сервертэй холбогдоход алдаа гарлаа",
        "SMTP সংযোগ() ব্যর্থ হয়েছে৷",
        "SMTP সংযোগ() ব্যৰ্থ",
        "SMTP සම්බන්ධය අසාර්ථක විය",
        "SMTP 連線失敗",
        "SMTP 연결을 실패하였습니다",
        "SMTP-verbinding () misluk",
        "SMTP-verbinding mislukt",
        "Spajanje na SMTP poslužitelj nije uspjelo",
        "Spajanje na SMTP server nije uspjelo",
        "Tsy nahomby ny fifandraisana tamin'ny server SMTP",
        "Αποτυχία σύνδεσης SMTP",
        "Ошибка соединения с SMTP-сервером",
        "Памылка сувязі з SMTP-серверам",
        "Повезивање са SMTP сервером није успело",
        "Помилка з'єднання з SMTP-сервером",
        "خطا در اتصال به SMTP",
    ),
    "authenticate": (
        "Błąd SMTP: nie udało się przeprowadzić uwierzytelnienia",
        "Chyba SMTP: Autentizace selhala",
        "Eroare SMTP: Autentificarea a eșuat",
        "Erreur SMTP\u202f: échec de l’authentification",
        "Erro SMTP: Non puido ser autentificado",
        "Erro de SMTP: Não foi possível autenticar",
        "Error SMTP: No s’ha pogut autenticar",
        "Hadisoana SMTP: Tsy nahomby ny fanamarinana",
        "Kesalahan SMTP: Tidak dapat mengotentikasi",
        "Lỗi SMTP: Không thể xác thực",
        "Ralat SMTP: Tidak dapat pengesahan",
        "SMTP -ի սխալ: չհաջողվեց ստուգել իսկությունը",
        "SMTP Error: Could not authenticate",
        "SMTP Error: Hindi mapatotohanan",
        "SMTP Error: Impossibile autenticarsi",
        "SMTP Greška: Neuspjela autentikacija",
        "SMTP Greška: Neuspjela prijava",
        "SMTP Viga: Autoriseerimise viga",
        "SMTP feilur: Kundi ikki góðkenna",
        "SMTP fejl: Login mislykkedes",
        "SMTP hiba: az azonosítás sikertelen",
        "SMTP kļūda: Autorizācija neizdevās",
        "SMTP napaka: Avtentikacija ni uspela",
        "SMTP xətası: Giriş uğursuz oldu",
        "SMTP грешка: Не може да се удостовери пред сървъра",
        "SMTP грешка: аутентификација није успела",
        "SMTP ত্রুটি: প্রমাণীকরণ করতে অক্ষম৷",
        "SMTP ত্ৰুটি: প্ৰমাণীকৰণ কৰিব নোৱাৰি",
        "SMTP දෝෂය: සත්\u200dයාපනය අසාර්ථක විය",
        "SMTP 錯誤：登入失敗",
        "SMTP 오류: 인증할 수 없습니다",
        "SMTP-eraro: Ne eblis aŭtentigi",
        "SMTP-feil: Kunne ikke autentisere",
        "SMTP-fout: authenticatie mislukt",
        "SMTP-fout: kon nie geverifieer word nie",
        "SMTP-virhe: käyttäjätunnistus epäonnistui",
        "Σφάλμα SMTP: Αδυναμία πιστοποίησης",
        "Алдаа SMTP: Холбогдож чадсангүй",
        "Ошибка SMTP: не удалось пройти аутентификацию",
        "Памылка SMTP: памылка ідэнтыфікацыі",
        "Помилка SMTP: помилка авторизації",
        "שגיאת SMTP: פעולת האימות נכשלה",
        "خطأ SMTP : لا يمكن تأكيد الهوية",
        "خطای SMTP: احراز هویت با شکست مواجه شد",
        "هەڵەی SMTP : نەتوانرا کۆدەکە پشتڕاست بکرێتەوە",
        "SMTP-Fehler: Authentifizierung fehlgeschlagen",
        "Error SMTP: Imposible autentificar",
        "SMTP त्रुटि: प्रामाणिकता की जांच नहीं हो सका।",
        "SMTPエラー: 認証できませんでした",
        "SMTP შეცდომა: ავტორიზაცია შეუძლებელია",
        "SMTP klaida: autentifikacija nepavyko",
        "Erro SMTP: Falha na autenticação",
        "SMTP Error: Chyba autentifikácie",
        "SMTP greška: autentifikacija nije uspela",
        "SMTP fel: Kunde inte autentisera",
        "SMTP Hatası: Oturum açılamadı",
        "SMTP خرابی: تصدیق کرنے سے قاصر۔",
    ),
    "from_failed": (
        "A feladóként megadott következő cím hibás",
        "A(s) seguinte(s) dirección(s) de remitente(s) deron erro",
        "Alamat pengirim berikut mengakibatkan kesalahan",
        "Ang sumusunod na address ay nabigo",
        "Berikut merupakan ralat dari alamat e-mel",
        "Die volgende Van adres misluk",
        "Følgende afsenderadresse er forkert",
        "Følgende avsenderadresse mislyktes",
        "Göstərilən poçtlara göndərmə uğursuz oldu",
        "Het volgende afzenderadres is mislukt",
        "I seguenti indirizzi mittenti hanno generato errore",
        "Järgnev saatja e-posti aadress on vigane",
        "La sekva(j) sendinto(j) malsukcesis",
        "La(s) següent(s) adreces de remitent han fallat",
        "Lỗi địa chỉ gửi đi",
        "L’adresse d’expéditeur suivante a échoué",
        "Nepareiza sūtītāja adrese",
        "Neveljaven e-naslov pošiljatelja",
        "Nieprawidłowy adres nadawcy",
        "Ny adiresy iraka manaraka dia diso",
        "Následující adresa odesílatele je nesprávná",
        "Os seguintes remetentes falharam",
        "SMTP Greška: Slanje s navedenih e-mail adresa nije uspjelo",
        "SMTP Greška: Slanje sa navedenih e-mail adresa nije uspjelo",
        "SMTP грешка: слање са следећих адреса није успело",
        "Seuraava lähettäjän osoite on virheellinen",
        "The following From address failed",
        "Următoarele adrese From au dat eroare",
        "fylgjandi Frá/From adressa miseydnaðist",
        "Η ακόλουθη διεύθυνση αποστολέα δεν είναι σωστή",
        "Илгээгчийн хаяг буруу байна",
        "Неверный адрес отправителя",
        "Невірна адреса відправника",
        "Няправільны адрас адпраўніка",
        "Следните адреси за подател са невалидни",
        "Ուղարկողի հետևյալ հասցեն սխալ է",
        "כתובות הנמענים הבאות נכשלו",
        "آدرس فرستنده اشتباه است",
        "خطأ على مستوى عنوان المرسل",
        "هەڵە لە ئاستی ناونیشانی نێرەر",
        "নিম্নলিখিত প্রেরকের ঠিকানা(গুলি) ব্যর্থ হয়েছে",
        "নিম্নলিখিত প্ৰেৰকৰ ঠিকনা(সমূহ) ব্যৰ্থ",
        "පහත From ලිපිනයන් අසාර්ථක විය",
        "發送地址錯誤",
        "다음 From 주소에서 오류가 발생했습니다",
        "Die folgende Absenderadresse ist nicht korrekt",
        "La siguiente dirección de remitente falló",
        "प्रेषक का पता गलत है।",
        "Fromアドレスを登録する際にエラーが発生しました",
        "გამგზავნის არასწორი მისამართი",
        "Neteisingas siuntėjo adresas",
        "O envio falhou para o seguinte endereço do remetente",
        "Následujúca adresa From je nesprávna",
        "SMTP greška: slanje sa sledećih adresa nije uspelo",
        "Följande avsändaradress är felaktig",
        "Belirtilen adreslere gönderme başarısız",
        "درج ذیل بھیجنے والے کا پتہ ناکام ہو",
        "发送地址错误",
    ),
    "recipients_failed": (
        "Błąd SMTP: nie udało się wysłać do następujących odbiorców",
        "Chyba SMTP: Následující adresy příjemců nejsou správně",
        "Eroare SMTP: Următoarele adrese de email au eșuat",
        "Erreur SMTP\u202f:\u202fles destinataires suivants ont échoué",
        "Erro SMTP: Os seguintes destinos fallaron",
        "Erro de SMTP: Os seguintes destinatários falharam",
        "Error SMTP: Els següents destinataris han fallat",
        "Kesalahan SMTP: Alamat tujuan berikut menyebabkan kesalahan",
        "Lỗi SMTP: lỗi địa chỉ người nhận",
        "Ralat SMTP: Penerima e-mel berikut telah gagal",
        "SMTP -ի սխալ: չի հաջողվել ուղարկել հետևյալ ստացողների հասցեներին",
        "SMTP Error: Ang mga sumusunod na tatanggap ay nabigo",
        "SMTP Error: I seguenti indirizzi destinatari hanno generato un errore",
        "SMTP Error: The following recipients failed",
        "SMTP Error: Tsy mety ireo mpanaraka ireto",
        "SMTP Feilur: Fylgjandi móttakarar miseydnaðust",
        "SMTP Greška: Slanje na navedene e-mail adrese nije uspjelo",
        "SMTP Greška: Slanje na navedenih e-mail adresa nije uspjelo",
        "SMTP Viga: Järgnevate saajate e-posti aadressid on vigased",
        "SMTP fejl: Følgende modtagere fejlede",
        "SMTP hiba: a címzettként megadott következő címek hibásak",
        "SMTP kļūda: neizdevās nosūtīt šādiem saņēmējiem",
        "SMTP napaka: Sledeči naslovniki so neveljavni",
        "SMTP xətası: Aşağıdakı ünvanlar üzrə alıcılara göndərmə uğursuzdur",
        "SMTP грешка: Следните адреси за Получател са невалидни",
        "SMTP грешка: слање на следеће адресе није успело",
        "SMTP ত্রুটি: নিম্নলিখিত গন্তব্যগুলি ব্যর্থ হয়েছে",
        "SMTP ত্ৰুটি: নিম্নলিখিত গন্তব্যস্থানসমূহ ব্যৰ্থ",
        "SMTP දෝෂය: පහත ලබන්නන් අසමත් විය",
        "SMTP 錯誤：以下收件人地址錯誤",
        "SMTP 오류: 다음 수신자에서 오류가 발생했습니다",
        "SMTP-eraro: La sekva(j) ricevonto(j) malsukcesis",
        "SMTP-feil: Følgende mottakeradresser feilet",
        "SMTP-fout: Die volgende ontvangers het misluk",
        "SMTP-fout: de volgende ontvangers zijn mislukt",
        "SMTP-virhe: seuraava vastaanottaja osoite on virheellinen",
        "Σφάλμα SMTP: Οι παρακάτω διευθύνσεις παραλήπτη δεν είναι έγκυρες",
        "Алдаа SMTP: ийм хаягийг илгээж чадсангүй",
        "Ошибка SMTP: Ошибка следующих получателей",
        "Памылка SMTP: няправільныя атрымальнікі",
        "Помилка SMTP: не вдалося відправлення для таких отримувачів",
        "שגיאת SMTP: הנמענים הבאים נכשלו",
        "خطأ SMTP: الأخطاء التالية فشل في الارسال لكل من",
        "خطای SMTP: ارسال به آدرس گیرنده با خطا مواجه شد",
        "هەڵەی SMTP: ئەم هەڵانەی خوارەوەشکستی هێنا لە ناردن بۆ هەردووکیان",
        "SMTP-Fehler: Die folgenden Empfänger sind nicht korrekt",
        "Error SMTP: Los siguientes destinos fallaron",
        "SMTP त्रुटि: निम्न प्राप्तकर्ताओं को पते भेजने में विफल।",
        "SMTPエラー: 次の受信者アドレスに 間違いがあります",
        "SMTP შეცდომა: შემდეგ მისამართებზე გაგზავნა ვერ მოხერხდა",
        "SMTP klaida: nepavyko išsiųsti šiems gavėjams",
        "Erro SMTP: Falha no envio para os seguintes destinatários",
        "SMTP Error: Adresy príjemcov niesu správne",
        "SMTP greška: slanje na sledeće adrese nije uspelo",
        "SMTP fel: Följande mottagare är felaktig",
        "SMTP Hatası: Belirtilen alıcılara ulaşılamadı",
        "SMTP خرابی: درج ذیل پتہ پر نہیں بھیجا جاسکا",
        "SMTP 错误：收件人地址错误",
    ),
    "data_not_accepted": (
        "Błąd SMTP: dane wiadomości nie zostały przyjęte przez serwer",
        "Chyba SMTP: Data nebyla přijata",
        "Eroare SMTP: Datele nu au fost acceptate",
        "Erreur SMTP\u202f: données incorrectes",
        "Erro SMTP: Datos non aceptados",
        "Erro de SMTP: Dados rejeitados",
        "Error SMTP: Dades no acceptades",
        "Kesalahan SMTP: Data tidak diterima",
        "Lỗi SMTP: Dữ liệu không được chấp nhận",
        "Ralat SMTP: Data tidak diterima oleh pelayan",
        "SMTP -ի սխալ: տվյալները ընդունված չեն",
        "SMTP Error: Ang datos ay hindi naitanggap",
        "SMTP Error: Dati non accettati dal server",
        "SMTP Error: data not accepted",
        "SMTP Greška: Podatci nisu prihvaćeni",
        "SMTP Kļūda: Nepieņem informāciju",
        "SMTP Viga: Vigased andmed",
        "SMTP diso: tsy voarakitra ny angona",
        "SMTP feilur: Data ikki góðkent",
        "SMTP fejl: Data blev ikke accepteret",
        "SMTP hiba: adatok visszautasítva",
        "SMTP napaka: Strežnik zavrača podatke",
        "SMTP xətası: Verilənlər qəbul edilməyib",
        "SMTP грешка: данните не са приети",
        "SMTP грешка: подаци нису прихваћени",
        "SMTP ত্রুটি: ডেটা গ্রহণ করা হয়নি৷",
        "SMTP ত্ৰুটি: তথ্য গ্ৰহণ কৰা হোৱা নাই",
        "SMTP දෝෂය: දත්ත පිළිගනු නොලැබේ",
        "SMTP 錯誤：無法接受的資料",
        "SMTP 오류: 데이터가 받아들여지지 않았습니다",
        "SMTP-eraro: Datumoj ne akceptitaj",
        "SMTP-feil: data ikke akseptert",
        "SMTP-fout: data nie aanvaar nie",
        "SMTP-fout: data niet geaccepteerd",
        "SMTP-virhe: data on virheellinen",
        "Σφάλμα SMTP: Μη αποδεκτά δεδομένα",
        "Алдаа SMTP: зөвшөөрөгдсөнгүй",
        "Ошибка SMTP: данные не приняты",
        "Памылка SMTP: звесткі непрынятыя",
        "Помилка SMTP: дані не прийнято",
        "שגיאת SMTP: מידע לא התקבל",
        "خطأ SMTP: لم يتم قبول المعلومات",
        "خطای SMTP: داده\u200cها نا\u200cدرست هستند",
        "هەڵەی SMTP: ئەو زانیاریانە قبوڵ نەکرا",
        "SMTP-Fehler: Daten werden nicht akzeptiert",
        "Error SMTP: Datos no aceptados",
        "SMTP त्रुटि: डेटा स्वीकार नहीं किया जाता है।",
        "SMTPエラー: データが受け付けられませんでした",
        "SMTP შეცდომა: მონაცემები არ იქნა მიღებული",
        "SMTP klaida: duomenys nepriimti",
        "Erro SMTP: Dados não aceites",
        "SMTP Error: Dáta neboli prijaté",
        "SMTP greška: podaci nisu prihvaćeni",
        "SMTP fel: Data accepterades inte",
        "SMTP Hatası: Veri kabul edilmedi",
        "SMTP خرابی: ڈیٹا قبول نہیں کیا گیا۔",
        "SMTP 错误：数据不被接受",
    ),
}


_SPACE = re.compile(r"[\s\u00a0\u202f]+")


_QUOTES = '"„“”«»'
_QUOTE_CLASS = "[" + _QUOTES + "]"


def _word(word: str) -> str:
    # Typographic apostrophes (’ ‘) and a straight one (') read alike; so do the
    # quotation marks around a placeholder ("„$from“"), which a paste or the
    # classifier's normalising may have made straight.
    # (re.escape of the whole part is each character's escape; a quotation mark,
    # left as it is, then becomes the class.)
    return "['’‘]".join(
        re.escape(part).translate(_QUOTE_TO_CLASS) for part in _APOSTROPHE.split(word)
    )


_QUOTE_TO_CLASS = str.maketrans(dict.fromkeys(_QUOTES, _QUOTE_CLASS))
_APOSTROPHE = re.compile("['’‘]")


def phrase_regex(phrases: tuple[str, ...]) -> str:
    """One alternation of ``phrases``, any run of (narrow, no-break) spaces matching any other."""
    # (Built once per input and kept between runs: phrasing.built_source.)
    return built_source("phrase", phrases, _phrase_regex)


def _phrase_regex(phrases: tuple[str, ...]) -> str:
    return _grouped(
        {(p.strip()[:1], r"\s*".join(_word(w) for w in _SPACE.split(p.strip()))) for p in phrases}
    )


def _grouped(parts: set[tuple[str, str]]) -> str:
    """The alternation of ``parts`` (each its first character and its regex), started at
    a word's start and grouped by first character: a text is then tried once per
    position and character instead of once per entry (a per-line cost)."""
    if not parts:
        return "(?!)"  # nothing to tell: never matches
    groups: dict[str, list[str]] = {}
    rest: list[str] = []
    for first, rx in parts:
        if first.isalnum() and rx.startswith(re.escape(first)):
            groups.setdefault(first.casefold(), []).append(rx[len(re.escape(first)) :])
        else:
            rest.append(rx)
    branches = [
        re.escape(first) + "(?:" + "|".join(sorted(tails, key=lambda t: (-len(t), t))) + ")"
        for first, tails in sorted(groups.items())
    ]
    word = r"\b(?:" + "|".join(branches) + ")" if branches else ""
    return "(?:" + "|".join(filter(None, (word, *sorted(rest)))) + ")"


_PLACEHOLDER = re.compile(r"\$(\w+)")
_TAIL = re.compile(r"[(（]?\s*\$(?:msg|limit)\b\s*[)）]?")
# A reply code; a mid-sentence limit or reason, in its brackets or left out (a short
# bracketed run: an open run of any text there would be tried at every position).
_PLACEHOLDER_TEXT = {"code": r"-?\d{0,3}", "limit": r"(?:[(（][^()（）\n]{0,60}[)）])?"}
_TAIL_END = re.compile(r"(?:\s*[(（]?\s*\$(?:msg|limit)\b\s*[)）]?)+[\s.。!！]*$")
_LETTERS = re.compile(r"[\W\d_]+")


def template_regex(templates: tuple[str, ...]) -> str:
    """One alternation of message templates.

    ``$code`` stands for a reply code (``-1`` or none when no reply came), any
    other ``$name`` for a short run of text on the line; spacing is free.
    ``$msg`` and ``$limit`` (with their brackets) are left out.
    """
    return built_source("template", templates, _template_regex)


def _template_regex(templates: tuple[str, ...]) -> str:
    parts: set[tuple[str, str]] = set()
    for template in templates:
        # The server's text ($msg) and the limit, in brackets, are left out
        # (a paste may show them empty, cut, or elsewhere on the line).
        # A bracketed $limit or $msg mid-sentence ("制限($limit)を超過") stands for its
        # text there; at the end it is left out.
        head = _TAIL_END.sub("", template)
        head = _TAIL.sub(" $limit ", head).strip().rstrip(" .。\"'«„“:-")
        if len(_LETTERS.sub("", _PLACEHOLDER.sub("", head)).replace("SMTP", "")) < 6:
            continue  # too few words of its own to tell the label
        pieces = _PLACEHOLDER.split(head)
        out = []
        for i, piece in enumerate(pieces):
            if i % 2:
                out.append(_PLACEHOLDER_TEXT.get(piece, r"[^\n]{0,200}?"))
            elif piece.strip():
                out.append(r"\s*".join(_word(w) for w in _SPACE.split(piece.strip())))
        parts.add((head[:1], r"\s*".join(out)))
    return _grouped(parts)


_C, _S, _T = Category, Stage, Permanence.TEMPORARY
# The table's sentence with nothing after it but the address(es): where the
# server's reason follows ("Sender address rejected: ..."), the reason decides.
_ADDRESS_ONLY = r"\s*[:：]?\s*(?:<?[^\s<>@]+@[^\s<>@,:]+>?\s*[:,]?\s*)*$"
_SRC = "library"

CLIENT_LANGUAGE_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "library.phpmailer_lang.connect",
        phrase_regex(_TABLE["connect_host"] + _TABLE["smtp_connect_failed"]),
        _C.FIREWALL_BLOCK,
        "PHPMailer could not open a connection to the SMTP host.",
        "A firewall or the hosting provider blocks the outgoing SMTP port, or the "
        "host name, port or TLS mode (465 implicit TLS, 587 STARTTLS) is wrong.",
        source=_SRC,
        stage=_S.CONNECT,
        permanence=_T,
        specific=False,
    ),
    pattern(
        "library.phpmailer_lang.authenticate",
        phrase_regex(_TABLE["authenticate"]),
        _C.AUTHENTICATION,
        "The SMTP server refused PHPMailer's login.",
        "Wrong user name or password, an app password or OAuth required, or the "
        "mechanism is not allowed for this account.",
        source=_SRC,
        stage=_S.AUTH,
        specific=False,
    ),
    pattern(
        "library.phpmailer_lang.from_failed",
        phrase_regex(_TABLE["from_failed"]) + _ADDRESS_ONLY,
        _C.POLICY_REJECTION,
        "The SMTP server refused the sender address (MAIL FROM).",
        "The account may not send as this From address, or the sender domain is "
        "refused by the server's policy.",
        source=_SRC,
        stage=_S.MAIL_FROM,
        specific=False,
    ),
    pattern(
        "library.phpmailer_lang.recipients_failed",
        phrase_regex(_TABLE["recipients_failed"]) + _ADDRESS_ONLY,
        _C.RECIPIENT,
        "The SMTP server refused one or more recipients (RCPT TO).",
        "A recipient address does not exist or is not accepted there; the server's "
        "reply after the address says which.",
        source=_SRC,
        stage=_S.RCPT_TO,
        specific=False,
    ),
    pattern(
        "library.phpmailer_lang.data_not_accepted",
        phrase_regex(_TABLE["data_not_accepted"]),
        # The corpus's convention for the English sentence (other, at DATA):
        # PHPMailer says so both when DATA is refused and when the end of the
        # message is; without the server's reply there is no cause to name.
        _C.OTHER,
        "The SMTP server refused the message at DATA; the sentence gives no reason.",
        "The server's reply to DATA or to the end of the message (PHPMailer's "
        "SMTPDebug output) says why: content filters, the sender domain, size.",
        source=_SRC,
        stage=_S.DATA,
        specific=False,
    ),
)

# Polish (and Czech) mail clients' own messages for SMTP replies (session 12): the client says
# what the reply code meant in Polish and quotes no reply ("Niewłaściwe dane
# logowania.": 535; "Ta domena nie przyjmuje poczty.": 521/556, RFC 7505).
LOCAL_CLIENT_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "library.client_pl.login_refused",
        r"\b(?:niew[łl]a[śs]ciwe|nieprawid[łl]owe|b[łl][ęe]dne) "
        r"(?:dane logowania|has[łl]o|login)\b|"
        r"\blogowanie nie powiod[łl]o si[ęe]|\bmetoda logowania jest zbyt s[łl]aba\b|"
        r"\b(?:tymczasowy )?brak autoryzacji\b",
        _C.AUTHENTICATION,
        "The SMTP server refused the client's login (wrong credentials, a mechanism it "
        "thinks too weak, or a temporary authentication failure).",
        "Check the user name and password (an app password where the provider asks for "
        "one) and let the client use an encrypted connection for the login.",
        source=_SRC,
        stage=_S.AUTH,
        specific=False,
    ),
    pattern(
        "library.client_pl.login_required",
        r"\b(?:po[łl][ąa]czenie|serwer|wysy[łl]anie) wymaga (?:zalogowania|uwierzytelni\w*)\b",
        _C.AUTHENTICATION,
        "The SMTP server sends only for clients that log in, and this one did not.",
        'Turn on SMTP authentication ("my server requires authentication") in the client.',
        source=_SRC,
        specific=False,
    ),
    pattern(
        "library.client_pl.encryption_required",
        r"\b(?:po[łl][ąa]czenie|serwer) wymaga szyfrowania\b|\bszyfrowanie jest wymagane\b",
        _C.STARTTLS_UNAVAILABLE,
        "The SMTP server requires an encrypted connection (STARTTLS or TLS) the client did "
        "not use.",
        "Choose STARTTLS on port 587 or SSL/TLS on port 465 in the client.",
        source=_SRC,
        specific=False,
    ),
    pattern(
        "library.client_pl.domain_no_mail",
        r"\bdomena nie przyjmuje poczty\b",
        _C.DNS_RESOLUTION,
        "The recipient domain says it accepts no mail (a null MX, RFC 7505, or no mail server).",
        "Check the recipient's domain for a typo; the domain publishes no mail server.",
        source=_SRC,
        hint=_S.DNS,
        specific=False,
    ),
    pattern(
        "library.client_pl.user_not_local",
        r"\bu[żz]ytkownik nie jest lokalny\b",
        _C.POLICY_REJECTION,
        "The server refused a recipient it does not host and will not relay to (RFC 5321's "
        "551 user not local).",
        "Send through your own provider's SMTP server with a login, not the recipient's.",
        source=_SRC,
        stage=_S.RCPT_TO,
        specific=False,
    ),
    pattern(
        "library.client_pl.mailbox_unavailable",
        r"\bskrzynka (?:odbiorcy )?(?:jest )?(?:nie jest dost[ęe]pna|niedost[ęe]pna)\b",
        _C.RECIPIENT,
        "The recipient's mailbox is unavailable (missing, busy or locked).",
        "Check the address; if it is right, the recipient's mailbox is closed or locked.",
        source=_SRC,
        specific=False,
    ),
    pattern(
        "library.client_pl.server_storage",
        r"\bbrak miejsca (?:po stronie serwera|na serwerze)\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server has no room for the message now (RFC 5321's 452 insufficient "
        "system storage).",
        "Retry later; the receiving server's storage is full.",
        source=_SRC,
        permanence=_T,
        specific=False,
    ),
    pattern(
        "library.client_pl.sending_limit",
        r"\bprzekroczon[oy] (?:dzienny |godzinowy )?limit "
        r"(?:wysy[łl]ania|wysy[łl]ki|wiadomo[śs]ci)\b",
        _C.RATE_LIMITED,
        "The provider refuses more mail from this account for now: its sending limit is used up.",
        "Wait for the limit to reset, send fewer messages, or ask the provider for a higher limit.",
        source=_SRC,
        permanence=_T,
        specific=False,
    ),
    # Czech mail programs' own words for a refused login: "SMTP server vás neautorizoval"
    # (the server did not authorize you), "ověření selhalo" (verification failed),
    # "přihlášení se nezdařilo" (the login did not succeed).
    pattern(
        "library.client_cs.login_refused",
        r"\b(?:server )?(?:v[áa]s )?neautorizoval\b|\bov[ěe][řr]en[íi] (?:u[žz]ivatele )?selhalo\b|"
        r"\bp[řr]ihl[áa][šs]en[íi] (?:se )?(?:nezda[řr]ilo|selhalo)\b",
        _C.AUTHENTICATION,
        "The SMTP server refused the client's login.",
        "Check the user name (often the whole address) and the password, and that the "
        "client logs in before sending.",
        source=_SRC,
        stage=_S.AUTH,
        specific=False,
    ),
)
