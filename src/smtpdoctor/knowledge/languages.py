"""Provider replies in other languages than English.

French (Orange, La Poste, Free, SFR), German (GMX, web.de, T-Online),
Spanish, Portuguese, Italian (Libero, Aruba), Russian (Yandex, Mail.ru,
Rambler), Chinese (QQ, 163/126 NetEase, Sina) and Japanese providers say
"user unknown", "mailbox full" or "blocked" in their own words, often with
no enhanced code, or with a generic one (5.0.0); Polish, Czech, Dutch, Turkish
and Korean providers' words for a missing or full mailbox (session 11). The words below are the
ones those providers' replies use; each category's meaning is ours.
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.knowledge.synonyms import RELAY_REFUSED
from smtpdoctor.model import Category, Stage

__all__ = ["LANGUAGE_PATTERNS"]

_C, _S = Category, Stage

LANGUAGE_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "i18n.user_unknown",
        r"utilisateur inconnu|destinataire inconnu|adresse (?:email )?inconnue|"
        r"(?:bo[iî]te|compte) (?:aux lettres )?(?:inexistante?|inconnue?)|"
        r"Adresse d au moins un destinataire invalide|"
        r"Benutzer unbekannt|unbekannte?r? (?:Empf[aä]nger|Benutzer)|Empf[aä]nger unbekannt|"
        r"(?:Postfach|Mailbox|Adresse) (?:existiert nicht|unbekannt|nicht vorhanden)|"
        # Lotus Domino's German "not listed in Domino Directory" (its umlaut often mangled),
        # (session 15) its Spanish and French ("no se encuentra en el Directorio de Domino",
        # "non répertorié dans l'annuaire Domino")
        r"nicht im Domino-Verzeichnis|no se encuentra en el Directorio de Domino|"
        r"non r[ée]pertori[ée] dans l'annuaire Domino|"
        r"usuario (?:desconocido|inexistente|no existe)|destinatario desconocido|"
        r"(?:el )?buz[oó]n (?:no existe|inexistente|desconocido)|cuenta (?:no existe|inexistente)|"
        r"usu[aá]rio (?:desconhecido|inexistente|n[aã]o existe)|destinat[aá]rio desconhecido|"
        r"caixa postal (?:n[aã]o encontrada|inexistente|n[aã]o existe)|"
        r"conta (?:n[aã]o existe|inexistente)|"
        r"utente (?:sconosciuto|inesistente|non esiste)|destinatario (?:inesistente|sconosciuto)|"
        r"indirizzo (?:inesistente|sconosciuto)|casella (?:di posta )?(?:inesistente|non esiste)|"
        r"пользовател[ьяи] (?:не найден|не существует|неизвестен)|нет такого пользователя|"
        r"(?:почтов(?:ый|ого) )?ящик(?:а)? (?:не существует|не найден)|несуществующ|"
        r"用户不存在|收件人不存在|邮箱不存在|收信人不存在|帐户不存在|账户不存在|地址不存在|"
        r"ユーザ(?:ー)?(?:が|は)?存在しません|宛先(?:不明|が見つかりません)|"
        r"アドレス(?:は|が)?存在しません|該当するユーザ|"
        # (session 11) Outlook Express's Chinese table ("邮件信箱不在此服务器上"), Polish,
        # Czech, Dutch, Turkish and Korean providers' words for a mailbox that is not there
        r"(?:邮件)?信箱不在此服务器|不合法的(?:邮件)?信箱名称|找不到(?:邮件)?信箱|"
        r"u[żz]ytkownik nie istnieje|nie ma takiego (?:u[żz]ytkownika|adresata|konta)|"
        r"nieznany (?:u[żz]ytkownik|adresat)|(?:adresat|skrzynka) nie istnieje|"
        r"u[žz]ivatel neexistuje|nezn[áa]m[ýy] u[žz]ivatel|adres[áa]t neexistuje|"
        r"schr[áa]nka neexistuje|"
        r"gebruiker (?:bestaat niet|is onbekend|onbekend)|onbekende (?:gebruiker|ontvanger)|"
        r"(?:mailbox|postvak) bestaat niet|"
        r"kullan[ıi]c[ıi] (?:bulunamad[ıi]|yok|mevcut de[ğg]il)|al[ıi]c[ıi] bulunamad[ıi]|"
        r"b[öo]yle bir kullan[ıi]c[ıi] yok|"
        r"사용자가 (?:존재하지 않|없습니다)|존재하지 않는 (?:사용자|계정|메일 ?주소)|"
        r"받는 사람을 찾을 수 없",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist at that provider (said in the "
        "provider's own language).",
        "A typo in the address, or the mailbox was closed.",
        source="i18n",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "i18n.mailbox_full",
        r"bo[iî]te (?:aux lettres |mail )?(?:du destinataire )?(?:est )?(?:pleine|satur[ée]e)|"
        r"quota (?:d[ée]pass[ée]|atteint)|"
        r"Postfach (?:ist )?(?:voll|[uü]berf[uü]llt)|Mailbox (?:ist )?voll|Speicherplatz|"
        r"Speicher(?:kontingent|limit|volumen) (?:erreicht|(?:[uü]|ue)berschritten)|"
        r"buz[oó]n (?:lleno|est[aá] lleno|excede)|cuota excedida|mailbox lleno|"
        r"casilla (?:de (?:correo|mail) )?(?:llena|agotada)|espacio en casilla|"
        r"caixa (?:postal )?(?:cheia|lotada)|cota excedida|"
        r"casella (?:di posta )?(?:piena|satura)|spazio esaurito|"
        r"(?:ящик|Почтовый ящик) (?:переполнен|заполнен)|превышен(?:а)? квот|"
        r"邮箱(?:已满|空间不足|容量不足)|空间已满|信箱已满|"
        r"メールボックス(?:が|は)?(?:一杯|いっぱい|容量)|容量(?:超過|オーバー)|"
        # (session 11) Polish, Czech, Dutch, Turkish and Korean words for a full mailbox
        r"skrzynka (?:odbiorcy )?(?:jest )?(?:pe[łl]na|przepe[łl]niona)|"
        r"przepe[łl]nion[ay] skrzynk|"
        r"schr[áa]nka (?:p[řr][íi]jemce )?(?:je )?(?:pln[áa]|p[řr]epln[ěe]n[áa])|"
        r"p[řr]ekro[čc]ena kv[óo]ta|"
        r"(?:mailbox|postvak|brievenbus) (?:is )?vol\b|quotum (?:is )?overschreden|"
        r"posta kutusu (?:dolu|doldu)|kota a[şs][ıi]ld[ıi]|"
        r"메일함(?:이)? (?:가득|꽉)|(?:메일함|사서함) 용량(?:이)? (?:초과|부족)",
        _C.RECIPIENT,
        "The recipient's mailbox is full (said in the provider's own language).",
        "The recipient must delete mail or raise the quota; retrying later may work.",
        source="i18n",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "i18n.mailbox_disabled",
        # A mailbox noun with a word that it was disabled, suspended or expired (an
        # Argentine provider's "Esta casilla ha expirado por falta de uso"); an account
        # alone is left out: "su cuenta ha sido suspendida" may be the sender's own.
        r"(?:casilla|buz[oó]n|cuenta de correo)(?: de (?:correo|mail))? "
        r"(?:ha |fue |est[aá] )?(?:sido )?(?:expirad[ao]|desactivad[ao]|deshabilitad[ao]|"
        r"inactiv[ao]|suspendid[ao]|dad[ao] de baja|cancelad[ao])|"
        r"(?:expirad[ao]|desactivad[ao]|inactiv[ao]|desativad[ao]|inativ[ao]) por "
        r"(?:falta de uso|inactividad|inatividade|desuso)|"
        r"(?:caixa postal|caixa de correio|conta de e-?mail) (?:foi |est[aá] )?"
        r"(?:desativad[ao]|inativ[ao]|suspens[ao]|expirad[ao]|cancelad[ao])|"
        r"bo[iî]te (?:aux lettres |mail )?(?:est |a [ée]t[ée] )?"
        r"(?:d[ée]sactiv[ée]e|inactive|suspendue|expir[ée]e|ferm[ée]e)|"
        r"(?:Postfach|E-Mail-Konto) (?:ist |wurde )?(?:deaktiviert|stillgelegt|inaktiv)|"
        r"casella (?:di posta )?(?:[eè] )?(?:stata )?"
        r"(?:disattivata|disabilitata|sospesa|scaduta|inattiva)|"
        r"(?:почтовый )?ящик (?:заблокирован|отключен|удален)|"
        r"邮箱(?:已被|已)?(?:冻结|停用|注销)",
        _C.RECIPIENT,
        "The recipient's mailbox was disabled, suspended or expired (said in the "
        "provider's own language): it takes no mail.",
        "The address is no longer in use: remove it, or reach the recipient another way.",
        source="i18n",
        hint=_S.RCPT_TO,
    ),
    # (session 19, lines17) A refusal of the client's IP because it is not on the receiving
    # domain's allow list (Gmail's "IP not in whitelist for RCPT domain" as its help pages
    # translate it, and the same words in French and Spanish): the client is refused, at
    # no stage of its own.
    pattern(
        "i18n.ip_not_allowlisted",
        r"\bIP(?:-Adresse)?(?: \S+)? (?:ist )?nicht auf (?:der )?(?:Zulassungsliste|Positivliste|"
        r"Allowlist|Whitelist)|"
        r"\bIP(?: \S+)? non (?:[eè] )?(?:presente )?nell'elenco degli (?:IP|indirizzi) "
        r"autorizzati|"
        r"\bIP(?: ?アドレス)? ?(?:が|は)[^\n。]{0,30}(?:ホワイトリスト|許可リスト)に"
        r"(?:ありません|含まれていません|登録されていません)|"
        r"\bIP(?: \S+)? (?:n'est )?pas (?:dans|sur) la liste (?:blanche|des (?:IP|adresses) "
        r"autoris[ée]es)|"
        r"\bIP(?: \S+)? no (?:est[aá] )?(?:en|incluida en) la lista "
        r"(?:blanca|de (?:IP|direcciones) autorizadas)",
        _C.POLICY_REJECTION,
        "The receiving domain takes mail only from the IP addresses on its allow list, and "
        "the sending IP is not on it (said in the provider's own language).",
        "The recipient's domain restricts inbound mail to its own gateways or partners.",
        source="i18n",
        retry=False,
    ),
    # (session 19, lines17) An unusual volume of unwanted mail seen from the sender's IP,
    # held back for now (Gmail's "unusual rate of unsolicited mail" as its help pages
    # translate it; French and Spanish alike): a rate limit, before the blocked words below.
    pattern(
        "i18n.unusual_spam_volume",
        r"percentuale insolita di (?:posta|e-?mail|messaggi) (?:indesiderat[ae]|non richiest[ae])|"
        r"大量の迷惑メール(?:が|を)送信され|"
        r"(?:taux|volume|nombre) inhabituel de (?:courriers?|messages|e-?mails) "
        r"(?:ind[ée]sirables|non sollicit[ée]s)|"
        r"(?:tasa|cantidad|volumen) inusual de (?:correos?|mensajes|e-?mails) "
        r"(?:no deseados?|no solicitados?)",
        _C.RATE_LIMITED,
        "The receiving provider holds mail from this IP back for now after an unusual "
        "volume of unwanted mail from it (said in the provider's own language).",
        "A volume spike, a new IP, or recipients marking the mail as spam.",
        source="i18n",
        retry=True,
    ),
    # (session 19, lines17) TLS or encryption demanded before the mail is taken (Gmail's
    # "TLS required for RCPT domain" as its help pages translate it, and the same words in
    # French, Spanish and Portuguese): the sender did not start TLS.
    pattern(
        "i18n.tls_required",
        r"(?:crittografia )?TLS (?:[eè] )?(?:richiest[ao]|obbligatori[ao])|"
        r"TLS ?(?:接続|暗号化)?が必要|"
        r"(?:TLS|chiffrement)(?: TLS)? (?:est )?(?:requis|obligatoire)|"
        r"(?:se requiere|requiere) (?:TLS|cifrado)|(?:TLS|cifrado)(?: TLS)? (?:es )?"
        r"(?:obligatorio|requerido)|"
        r"(?:TLS|criptografia)(?: TLS)? (?:[eé] )?(?:obrigat[oó]ri[ao]|exigid[ao])",
        _C.STARTTLS_UNAVAILABLE,
        "The receiving side takes mail only over an encrypted connection (STARTTLS), and "
        "the sender did not start TLS (said in the provider's own language).",
        "STARTTLS is off in the sender's settings, or its TLS set-up failed and it went on "
        "in plain text.",
        source="i18n",
        retry=False,
    ),
    pattern(
        "i18n.blocked",
        r"adresse IP (?:bloqu[ée]e|refus[ée]e|list[ée]e)|IP bloqu[ée]e|"
        r"\b5\d\d\b[^\n]{0,80}Service refus[ée]|Message refus[ée]|"
        r"refus[ée] (?:pour|par) (?:raison|cause) de spam|"
        r"IP-Adresse (?:ist )?(?:gesperrt|blockiert)|als Spam (?:erkannt|eingestuft)|"
        r"Nachricht (?:wurde )?abgelehnt|"
        r"(?:IP )?bloqueada|rechazad[oa] (?:por|como) spam|"
        r"bloccat[oa]|rifiutat[oa] (?:per|come) spam|"
        r"(?:отклонено|заблокирован)|спам|"
        r"被列入黑名单|黑名单|垃圾邮件|内容被拒绝|被拒绝|"
        r"拒否されました|迷惑メール",
        _C.POLICY_REJECTION,
        "The receiving provider refused the mail by policy: the sending IP is "
        "blocked, or the content looks like spam (said in the provider's own "
        "language).",
        "The sending IP or domain is on a blocklist or has a poor reputation at that provider.",
        "SPF/DKIM/DMARC do not pass, or the content looks like spam.",
        source="i18n",
    ),
    pattern(
        "i18n.service_refused_later",
        # Orange and La Poste: "421 ... Service refusé. Veuillez essayer plus
        # tard" is a temporary refusal; with a 5xx it is a block (above).
        r"\b4\d\d\b[^\n]{0,80}Service refus[ée]",
        _C.SERVICE_UNAVAILABLE,
        "The receiving provider refuses service for now and asks to try later.",
        source="i18n",
        retry=True,
    ),
    pattern(
        "i18n.rate",
        r"trop de (?:connexions|messages)|zu viele (?:Verbindungen|Nachrichten)|"
        r"demasiadas conexiones|troppe connessioni|слишком много|"
        r"发送(?:频率|过于频繁)|频率(?:过快|受限|限制)|连接(?:数)?过多|"
        r"送信(?:数|頻度)が(?:多|上限)|"
        # (session 19, lines17) a recipient receiving mail faster than the provider allows
        # (Gmail's "receiving mail too quickly" as its help pages translate it; French and
        # Spanish alike)
        r"ricev(?:endo|e) (?:e-?mail|posta|messaggi) troppo (?:rapidamente|velocemente)|"
        r"(?:非常に)?速いペースで(?:メールを)?受信|"
        r"re[çc]oi(?:t|vent) (?:des )?(?:e-?mails|messages|courriers) trop (?:rapidement|vite)|"
        r"recib(?:iendo|e) (?:correos?|mensajes|e-?mails) (?:demasiado|muy) (?:r[aá]pido|deprisa)",
        _C.RATE_LIMITED,
        "The receiving provider throttles this sender: too many connections or "
        "messages in a short time (said in the provider's own language).",
        source="i18n",
        retry=True,
    ),
    # (session 19, lines17) A service, protocol or server said to be unavailable, in a
    # client's or server's own words (a Polish client's "Protokół SMTP nie jest dostępny";
    # Czech, French, Spanish, Italian, Portuguese and German alike): for now, and weak,
    # so a cause named beside it decides.
    pattern(
        "i18n.service_unavailable",
        r"(?:usługa|protokół SMTP|serwer)(?: SMTP)? (?:jest )?(?:chwilowo |tymczasowo )?"
        r"(?:niedostępn[ya]|nie jest dostępn[ya])|"
        r"služba(?: SMTP)? (?:je )?(?:dočasně )?nedostupná|"
        r"service(?: SMTP)? (?:est )?(?:temporairement )?indisponible|"
        r"servicio(?: SMTP)? (?:est[aá] )?(?:temporalmente )?no disponible|"
        r"servizio(?: SMTP)? (?:[eè] )?(?:temporaneamente )?non disponibile|"
        r"servi[çc]o(?: SMTP)? (?:est[aá] )?(?:temporariamente )?indispon[ií]vel|"
        r"Dienst(?: SMTP)? (?:ist )?(?:vor[uü]bergehend )?nicht verf[uü]gbar",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server or its mail service is not available at the moment (said in "
        "the client's or provider's own language).",
        "Overload, maintenance, or a backend it depends on is down.",
        source="i18n",
        retry=True,
        specific=False,
    ),
    pattern(
        "i18n.relay_denied",
        # "Relay denied" as localised mail clients and servers write it: Outlook
        # Express's "Retransmissão Negada" (pt-BR), "Reencaminhamento Negado" (pt-PT),
        # qmail's "rcpthosts" refusal translated, and the same in es/fr/de/it
        r"\bRetransmiss(?:ão|ao) (?:negada|proibida|não permitida)|"
        r"\bReencaminhamento (?:negado|proibido|não permitido)|"
        r"\blista de (?:rcpthosts|anfitriões rcpt)|"
        r"\bRetransmisi(?:ó|o)n (?:denegada|prohibida|no permitida)|"
        r"\bRelais (?:refus(?:é|e)|interdit|non autoris(?:é|e))|"
        r"\bRelaying (?:verweigert|nicht (?:erlaubt|gestattet))|"
        r"\b(?:Relay|Inoltro) (?:negato|non consentito)",
        _C.POLICY_REJECTION,
        *RELAY_REFUSED,
        source="i18n",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "i18n.dns_not_found",
        # (session 14) Postfix's "Host or domain name not found. Name service error for
        # name=... type=A: Host found but no data record of requested type" as a
        # provider's Chinese bounce renders it (Proton Mail's: "未找到主機或網域名稱。域名服務
        # 錯誤 ... 已找到主機，但沒有請求類型的資料記錄"), in Traditional and Simplified characters
        r"未找到主[機机]或[網网]?域名[稱称]?|找不到主[機机]或[網网]?域名|域名服[務务][錯错][誤误]|"
        r"沒有請求類型的資料記錄|没有请求类型的数据记录",
        _C.DNS_RESOLUTION,
        "The recipient's domain (or its mail host) does not resolve: the DNS lookup found "
        "no record of the type asked for (said in the provider's own language).",
        "A typo in the domain, a domain that lapsed, or no MX/A record published for it.",
        source="i18n",
        stage=_S.DNS,
        retry=False,
    ),
    pattern(
        "i18n.auth_failed",
        # a refused login in the words of a mail library's translations (PHPMailer's
        # "SMTP 错误：登录失败。", "SMTP-Fehler: Authentifizierung fehlgeschlagen.",
        # "Erreur SMTP : échec de l'authentification.") and of providers
        r"登录失败|登錄失敗|认证失败|身份验证失败|認証(?:に失敗|できませんでした)|"
        r"ログインに失敗|Authentifizierung fehlgeschlagen|Anmeldung fehlgeschlagen|"
        r"(?:é|e)chec de l.authentification|Imposible autentificar|"
        r"no se pudo autenticar|N(?:ã|a)o foi poss(?:í|i)vel autenticar|"
        r"Impossibile autenticarsi|ошибка (?:авторизации|аутентификации)",
        _C.AUTHENTICATION,
        "The server refused the login (said in the library's or provider's own "
        "language): the user name or password was not accepted.",
        "Wrong credentials, or the provider wants an app password or authorization "
        "code instead of the account password (QQ Mail, 163, Gmail).",
        source="i18n",
        stage=_S.AUTH,
        retry=False,
    ),
    # (session 14, lines8) A mail client's own words for a failed send, with no reply
    # code: the outgoing (SMTP) server unknown, unreachable, cut off or silent, its login
    # method refused, STARTTLS not offered; in Greek, Hebrew, Arabic, Serbian, Croatian,
    # Slovak, Slovenian, Georgian, Kazakh, Finnish, Norwegian, Bulgarian and Turkish
    # (Thunderbird's translated messages first showed them; the words are each
    # language's ordinary ones for the fault, not one program's sentence)
    pattern(
        "i18n.client_server_unknown",
        r"διακομιστ\w*(?: \S+){0,3} (?:είναι )?άγνωστος|"
        r"сервер\w*(?: \S+){0,4} (?:је |е )?непознат|"
        r"(?:poslužitelj|server)\w*(?: \S+){0,4} (?:je )?nepoznat|"
        # a client's "host:port: unknown host" (Slovak, Turkish)
        r"nezn[áa]my hostite[lľ]|bilinmeyen (?:sunucu|ana makine)",
        _C.DNS_RESOLUTION,
        "The mail client could not find the outgoing (SMTP) server's name in DNS (said in "
        "the client's own language).",
        "A typo in the server name, or no working DNS on the client's network.",
        source="i18n",
        stage=_S.DNS,
    ),
    pattern(
        "i18n.client_connect_failed",
        r"החיבור לשרת\S*(?: \S+){0,5} נכשל|"
        r"повезивање (?:на|са)(?: \S+){0,5} није успело|"
        r"დაკავშირება ვერ მოხერხდა|"
        r"σύνδεση(?: \S+){0,6} (?:απέτυχε|ήταν αδύνατη)|"
        r"(?:povezivanje|spajanje|veza) (?:s|sa|na)(?: \S+){0,6} "
        r"(?:nije uspjel[oa]|nije uspel[oa])",
        _C.FIREWALL_BLOCK,
        "The mail client could not connect to the outgoing (SMTP) server (said in the "
        "client's own language): no server there, or its port is refused or filtered.",
        "A wrong server name or port, or a firewall that blocks the SMTP port.",
        source="i18n",
        stage=_S.CONNECT,
    ),
    pattern(
        "i18n.client_connection_lost",
        r"החיבור(?: \S+){0,6} נקטע|"
        r"veza(?: \S+){0,8} prekinuta|"
        r"კავშირი გაწყდა|"
        r"pripojenie(?: \S+){0,8} (?:bolo )?(?:počas \S+ )?prerušené|"
        r"spojení(?: \S+){0,8} (?:bylo )?(?:během \S+ )?přerušeno|"
        # the remote host closed the connection (Greek, Croatian, Korean, Slovak,
        # Serbian, Turkish)
        r"σύνδεση έκλεισε από τον απομακρυσμένο|"
        r"veza je (?:završena|zatvorena|prekinuta) od strane udaljenog|"
        r"원격 호스트에 의해 연결이 (?:끊겼|종료)|"
        r"vzdialen[ýy] hostite[lľ] ukončil spojenie|"
        r"удаљени (?:сервер|рачунар|домаћин) је прекинуо везу|"
        r"bağlantı karşı taraftan kesildi",
        _C.CONNECTION_DROPPED,
        "The connection to the outgoing (SMTP) server broke off in the middle of the "
        "transfer (said in the mail client's own language).",
        "An unstable network, a middlebox that cuts long sessions, or the server dropping "
        "the client.",
        source="i18n",
        stage=_S.NONE,
    ),
    pattern(
        "i18n.client_timeout",
        r"انتهاء مهلة الاتصال|"
        r"veza(?: \S+){0,8} (?:je )?istekla|"
        r"байланыс\w*(?: \S+){0,2} уақыты (?:аяқталды|бітті)|"
        r"časový limit(?: \S+){0,8} vypršal|časový limit(?: \S+){0,8} vypršel|"
        # a socket's I/O wait ran out (Catalan, Romanian, Swedish)
        r"temps d.espera (?:excedit|esgotat)|socket(?:-ul)?(?: \S+){0,2} a expirat|"
        r"tidsgräns\w*(?: \S+){0,4} överskreds",
        _C.NETWORK_TIMEOUT,
        "The outgoing (SMTP) server stopped answering and the mail client's wait ran out "
        "(said in the client's own language).",
        "A slow or congested link, or a server that stalls under load.",
        source="i18n",
        stage=_S.NONE,
    ),
    pattern(
        "i18n.client_auth_method",
        r"kimlik doğrulan(?:am)?ad[ıi]|yetkilendirme yöntem|düz metin biçimindeki parola|"
        r"(?:μέθοδο|μέθοδος) ταυτοποίησης|ταυτοποίηση(?: \S+){0,4} απέτυχε|"
        r"(?:تعذر|فشل) (?:ال)?استيثاق|طريقة الاستيثاق|"
        r"метод(?:а)? (?:за |на )?удостоверяване|пароли от обикновен текст|"
        r"todennus(?: \S+){0,4} epäonnistui|todennustap|"
        r"passord i klartekst|autentiseringsmetode|"
        r"ni mogoče overiti|metod\w* overitve|"
        # an error during authentication (Greek, Croatian, Norwegian, Serbian, Swedish,
        # Turkish) and SMTP AUTH not available (Bulgarian, Hungarian, Norwegian)
        r"σφάλμα(?: \S+){0,3} πιστοποίηση|greška prilikom ovjeravanja|"
        r"feil (?:oppstod )?ved autentisering|fel (?:uppstod )?vid autentisering|"
        r"грешка при (?:идентификацији|аутентификацији)|kimlik doğrulaması başarısız|"
        r"(?:Няма наличен|Nincs elérhető) SMTP AUTH|"
        r"SMTP AUTH(?:-\w+)?(?: \S+){0,2} (?:не е наличен|nem elérhető|(?:er )?ikke tilgjengelig)",
        _C.AUTHENTICATION,
        "The outgoing (SMTP) server refused the login, or the login method the mail client "
        "was set to (said in the client's own language).",
        "A wrong password, or an authentication method (plain or encrypted password) the "
        "server does not accept.",
        source="i18n",
        stage=_S.AUTH,
    ),
    pattern(
        "i18n.client_starttls_missing",
        r"STARTTLS(?:\S*)(?: \S+){0,8} (?:ei kerro tukevansa|ei tue|te možnosti ne podpira|"
        r"ne podpira|nepodporuje|не поддерживает|не підтримує|desteklemiyor)|"
        r"(?:ei tue|ne podpira|nepodporuje|не поддерживает|не підтримує)(?: \S+){0,3} STARTTLS",
        _C.STARTTLS_UNAVAILABLE,
        "The mail client was set to use STARTTLS, but the outgoing (SMTP) server does not "
        "offer it (said in the client's own language).",
        "The server's STARTTLS is off, or a middlebox strips it from the EHLO reply.",
        source="i18n",
        stage=_S.STARTTLS,
    ),
    pattern(
        "i18n.client_message_too_big",
        # a client's "Message is too big (Maximum size is ...)" (Catalan, Greek, Croatian,
        # Romanian, Serbian, Swedish)
        r"missatge és massa gros|μήνυμα είναι πολύ μεγάλο|poruka je prevelika|"
        r"mesajul este prea mare|порука је превелика|meddelandet är för stort",
        _C.MESSAGE_SIZE,
        "The message is larger than the server's size limit (said in the mail client's own "
        "language).",
        "Large attachments; send a link instead, or split the message.",
        source="i18n",
        stage=_S.MESSAGE,
    ),
    pattern(
        "i18n.client_tls_handshake",
        r"TLS[- ]kézfogás (?:sikertelen|nem sikerült)",
        _C.TLS_HANDSHAKE_FAILURE,
        "The TLS handshake with the server failed (said in the mail client's own language).",
        "No TLS version or cipher in common, or a middlebox that breaks the handshake.",
        source="i18n",
        stage=_S.TLS_HANDSHAKE,
    ),
    pattern(
        "i18n.client_certificate",
        # a client's certificate verdicts (Danish)
        r"selvsigneret certifikat|(?:ophævet|tilbagekaldt) certifikat|"
        r"certificeringsinstans er ikke en CA",
        _C.TLS_CERTIFICATE,
        "The server's certificate was not trusted: self-signed, revoked, or issued by a "
        "certificate that is no CA (said in the mail client's own language).",
        "Install a certificate from a public CA with its full chain on the server.",
        source="i18n",
        stage=_S.TLS_HANDSHAKE,
    ),
)
