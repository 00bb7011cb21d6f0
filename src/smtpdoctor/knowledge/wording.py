"""Wording by class rather than by example (issue 10): vocabulary, usual stages, code stages.

The vendor, library and language tables name one provider's or library's
phrase each. This module holds what generalises over them:

* :data:`PRECISE_PATTERNS`: phrasings that name a cause whoever writes them
  (a queue or hourly quota is a rate limit, a loop is a loop, Go's
  ``dial tcp ...: i/o timeout`` is a connect that got no answer, a socket
  timeout reported as a closed connection is a timeout); they outrank an
  enhanced code, like any provider phrase.
* :data:`BROAD_PATTERNS`: a vocabulary per category built from word stems
  (a recipient noun and a word that it is gone or unusable, a mailbox quota
  in other words, a server's own trouble). Weak: they only decide when no
  precise code or phrase does.
* :data:`STATED_STAGES`: more ways a text states the command it failed at
  (a quoted command with its result, Ruby's and Python's stack frames,
  Go's dialer).
* :data:`SUBJECT_STAGES`: where a refusal usually happens when the text
  states no stage but names what was judged: the message (content, spam,
  DKIM, DMARC, headers) after the data, the sender (SPF, the MAIL FROM
  domain) at MAIL FROM, the connection itself at the greeting.
* :data:`CODE_STAGES`: basic reply codes that answer only one command
  (RFC 4954: 534/535/538 answer AUTH).

Sources: RFC 5321 §4.2.3 and §3.3, RFC 4954 §6, RFC 3463, RFC 7208 §2.4
(SPF checks the MAIL FROM identity), RFC 7489 §3.1 (DMARC aligns the
RFC5322.From header, so it is judged on the message), RFC 6376 (DKIM signs
the message); the rows of tests/data/replies/lines.jsonl name a public
source for each phrasing.
"""

from __future__ import annotations

import re

from smtpdoctor.knowledge.phrasing import StagePhrase, TextPattern, pattern, stage_phrase
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "BROAD_PATTERNS",
    "CODE_STAGES",
    "PRECISE_PATTERNS",
    "STATED_STAGES",
    "SUBJECT_STAGES",
    "subject_stage",
]

_C, _S, _T, _PM = Category, Stage, Permanence.TEMPORARY, Permanence.PERMANENT
_CMD, _Q = r"\bcommand\"?: ['\"]", r"['\"]"

PRECISE_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "wording.rate_quota",
        r"queue quota exceeded|exceeded (?:their|the|its) limit for the number of messages|"
        r"receiving mail (?:at a rate|too quickly)|too many recent messages|"
        r"\bexcessive volume\b|max(?:imum)? (?:number of )?messages? per (?:connection|session)|"
        r"(?:sender|connection|send(?:ing)?) frequency (?:limited|exceeded)|"
        # (Gmail's "has been temporarily rate limited" is its own pattern)
        r"\b(?:has|have) been rate[- ]limited\b",
        _C.RATE_LIMITED,
        "The receiving side limits how much mail it takes from this sender (or for "
        "this recipient) in a period; it is a rate, not a refusal of the mail itself.",
        "A burst of mail to one provider or one recipient; a shared IP or queue whose "
        "quota other senders used up.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.mail_loop",
        r"\bloop(?:ing)? (?:detected|broken)|\bmessage looping\b|forwarding loop|"
        r"aliasing/forwarding loop",
        _C.OTHER,
        "The message went round in a loop (aliases, forwards or MX records pointing "
        "back) until a hop limit stopped it.",
        "An alias or forward points at an address that forwards back; an MX or "
        "smarthost points at the server that sent it.",
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "wording.go_dial_timeout",
        # Go's dialer; "dial tcp: lookup ...: i/o timeout" is a DNS timeout, not this.
        # Not \b: an application's own words may run into it ("邮件投递失败dial tcp").
        r"(?<![A-Za-z0-9_])dial tcp(?: \[?[0-9a-f.:]+\]?:\d+)?: (?:connect: )?"
        r"(?:i/o timeout|connection timed out)",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server got no answer (Go's dialer timed out).",
        "Outbound SMTP is blocked where the application runs (many clouds block "
        "port 25, some 465/587 too).",
        "The server is down, or a firewall in front of it drops this sender.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "wording.socket_read_timeout",
        # Python's smtplib reports a socket timeout while waiting for a reply as
        # a closed connection: "Connection unexpectedly closed: timed out".
        r"unexpectedly closed: timed out|Timeout\(\d+\) while trying to read|"
        r"timed out while (?:trying to )?read(?:ing)?\b",
        _C.NETWORK_TIMEOUT,
        "The connection was open, but the server's reply did not come in time.",
        "The client waits for a greeting on an implicit-TLS port (465) while the "
        "server waits for the TLS handshake, or the other way round.",
        "A slow or overloaded server, or a firewall that lets the connection open "
        "but drops what follows.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.socket_closed",
        # errno names and runtime words for a connection the other side closed.
        r"\b(?:EPIPE|ECONNABORTED|ENOTCONN)\b|\bsocket hang up\b|\bUnexpected socket close\b|"
        r"\bTransport endpoint is not connected\b|"
        r"socket disconnected before secure TLS connection",
        _C.CONNECTION_DROPPED,
        "The connection was closed (reset or abandoned) before the session was done.",
        "A firewall or the server cut the connection; on an implicit-TLS port (465) "
        "a client speaking plain SMTP (or the other way round) is cut like this.",
        permanence=_T,
        kind="connection_drop",
    ),
    pattern(
        "wording.connect_timeout_windows",
        # WSAETIMEDOUT (10060) while connecting; the same words after "Unable to
        # read data from the transport connection:" are a read (libraries.py).
        r"(?<!transport connection: )A connection attempt failed because the connected party "
        r"did not properly respond after a period of time|\bWSAETIMEDOUT\b",
        _C.FIREWALL_BLOCK,
        "The TCP connection to the mail server got no answer in time (Windows socket error 10060).",
        "Outbound SMTP is blocked where the sender runs, or a firewall in front of the "
        "server drops this sender.",
        "The server is down.",
        stage=_S.CONNECT,
        permanence=_T,
        retry=False,
        kind="connection_drop",
    ),
    pattern(
        "wording.cjk_rate",
        r"频率(?:过高|过快|受限|限制)|过于频繁|发送频率|送信(?:数|頻度)(?:の)?(?:制限|上限)",
        _C.RATE_LIMITED,
        "The receiving server throttles this sender (the text says the sending "
        "frequency is too high).",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.sender_unauthorized",
        r"\bunauthori[sz]ed sender\b|\bsender (?:is )?not (?:authori[sz]ed|allowed|permitted)\b|"
        r"\bRESOLVER\.RST\.NotAuthorized\b|\bnot authori[sz]ed to (?:send|relay)\b",
        _C.POLICY_REJECTION,
        "The receiving server does not accept mail from this sender address.",
        "The recipient (or a relay such as Apple's private relay) only takes mail "
        "from senders it knows; the envelope sender is not one of them.",
        retry=False,
    ),
    pattern(
        "wording.null_mx",
        # RFC 7505: a domain that publishes a null MX takes no mail at all.
        r"\bnull ?MX\b|domain \S+ does not accept mail",
        _C.DNS_RESOLUTION,
        "The recipient's domain publishes a null MX (RFC 7505): it accepts no mail.",
        "A typo in the domain, or a domain that is only used for the web.",
        stage=_S.DNS,
        retry=False,
    ),
    pattern(
        "wording.recipient_address_invalid",
        r"recipient address\b.{0,80}\bnot (?:a )?valid\b|\binvalid recipient address\b",
        _C.RECIPIENT,
        "The recipient address is not a valid mailbox address.",
        "A typo or a malformed address in the recipient list.",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "wording.mailbox_quota",
        r"\bquota violation\b|would exceed (?:the )?(?:mailbox )?quota|\bover ?quota\b|"
        r"\bover (?:its|their|his|her|your|the)(?: allowed| permitted)? (?:storage |disk )?quota\b|"
        # (.NET's SmtpException names any 552 so, then quotes the server's own words)
        r"(?:reached|over) (?:its |the |their )?disk quota|"
        r"exceeded storage allocation(?!\. The server response was:)|"
        r"boite (?:aux lettres )?(?:du destinataire )?pleine|boîte aux lettres du destinataire "
        r"est pleine",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
    ),
    pattern(
        "wording.policy_violation",
        r"\bpolicy violation\b|\bMailPolicy violation\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the mail because it breaks its policy.",
        retry=False,
    ),
    pattern(
        "wording.auth_reply",
        # Replies to the AUTH command itself (Postfix, RFC 4954 §6).
        r"\bauthentication not enabled\b|"
        r"\bCannot authenticate due to temporary system problem\b|"
        # (as "535 5.7.0 Too many login attempts": RFC 4954 names AUTH)
        r"\btoo many (?:login|authentication|AUTH) attempts\b|"
        r"\b(?:Command|verb) unrecognized:? \"?AUTH\b",
        _C.AUTHENTICATION,
        "The server refused the AUTH command itself: the mechanism, or AUTH on this "
        "port or at this moment.",
        "AUTH is offered only on the submission port (587/465) or only after STARTTLS; "
        "the client asked for a mechanism the server does not have.",
        stage=_S.AUTH,
        retry=False,
    ),
    pattern(
        "wording.too_many_recipients",
        # RFC 5321 §4.5.3.1.10: a 452 to RCPT TO when the recipient limit is reached.
        r"\btoo many recipients\b(?! this hour)",
        _C.RATE_LIMITED,
        "The server takes no more recipients in this transaction (or from this sender "
        "now); the rest must be sent in another transaction.",
        hint=_S.RCPT_TO,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.sender_not_login",
        # The envelope sender must be the account that logged in ("the from address
        # and the authenticated user must be the same", "Mail from address must be
        # same as authorization user"); it judges MAIL FROM's argument.
        r"\b(?:from|sender|envelope) address (?:and the authenticated user )?must (?:be|match) "
        r"(?:the )?same\b|\bmust be (?:the )?same as (?:the )?(?:auth\w*|login) (?:user|account)\b|"
        r"\b(?:from|sender) address (?:does not |doesn't |did not |must )?match(?:es)? (?:the )?"
        r"(?:authenticated|login|auth\w*) (?:user|account)\b",
        _C.POLICY_REJECTION,
        "The server accepts only the logged-in account's own address as the sender (MAIL FROM).",
        "The application sends as another address (a no-reply or the visitor's address) "
        "than the account it logs in with.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "wording.sender_domain_required",
        # Sendmail: a bare local name as the sender ("Domain name required for sender
        # address root"); RFC 5321 §4.1.2 wants a domain.
        r"\bDomain name required for sender address\b",
        _C.POLICY_REJECTION,
        "The server refused a sender address without a domain (MAIL FROM).",
        "The application or cron job sends as a bare user name; set a full address.",
        hint=_S.MAIL_FROM,
        retry=False,
    ),
    pattern(
        "wording.recipient_not_receiving",
        # The account exists but may not receive mail (disabled for inbound mail).
        r"\b(?:account|mailbox|user|address) is not (?:authori[sz]ed|allowed|permitted) "
        r"to receive (?:e-?)?mail\b|"
        # (qmail's "This address no longer accepts mail.")
        r"\b(?:account|mailbox|user|address) no longer (?:accepts|receives) (?:e-?)?mail\b",
        _C.RECIPIENT,
        "The recipient's account may not receive mail (it is disabled for incoming mail).",
        hint=_S.RCPT_TO,
        retry=False,
    ),
    pattern(
        "wording.service_try_later",
        # A server that says only that it is unavailable now (whatever 4.7.x code
        # it puts beside it); a block list or a policy named after it decides.
        r"\bService (?:temporarily )?unavailable\W{1,3}(?:please )?try (?:again )?later\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server is not taking mail at the moment.",
        "Overload, maintenance, or a backend it depends on is down.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.lookup_failure",
        # Postfix's "Temporary lookup failure": a table or directory the receiving
        # server consults did not answer; nothing in the mail itself is wrong.
        r"\bTemporary lookup failure\b|"
        # its own warnings of the same: a table, LDAP or a map that did not answer
        # (a table's name or path; "DNS/host lookup failure" is DNS, not this)
        r"\b(?:[a-z]+:)?/\S+ lookup failure\b|\b\w+_(?:maps|domains|tables?) lookup failure\b|"
        r"\bmap lookup problem\b|Can't contact LDAP server|\buser lookup error\b|"
        r"\bread TCP map reply from\b|"
        r"\bdict_\w+_lookup: [^\n]*\berror\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server could not look up its own tables or directory (a map, "
        "a database, LDAP) for this address; the mail is deferred until it can.",
        permanence=_T,
        retry=True,
    ),
    # Korean and other providers' words for a sender or IP they hold for a spammer
    # (Paran's "SPAM_SUSPECT:IP_CONTROL", "registered as spammer", an IP "filtered"
    # until it is registered with the provider): a block of the source, whatever
    # the reply code's class says.
    pattern(
        "wording.source_held_for_spam",
        r"\bregistered as (?:an? )?spammer\b|\bSPAM_SUSPECT\b|"
        r"\bYour IP\b[^\n]{0,45}?\bis filtered\b",
        _C.POLICY_REJECTION,
        "The receiving provider holds the sending IP or sender for a spam source and "
        "refuses its mail until it is cleared or registered with the provider.",
        "The IP sent mail the provider counted as spam, or is not registered with it.",
        permanence=_PM,
    ),
    # A network that is busy, a DNS lookup that failed, an I/O that timed out, in
    # the short words of reply tables ("Network is busy", "DNS resolving error",
    # "Bad connection (io timeout)"): the words outrank the X.4.x code's reading.
    pattern(
        "wording.network_busy",
        r"\bNetwork is (?:too )?busy\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving side is too busy to answer for now; it is retried.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.dns_resolving_error",
        r"\bDNS (?:resolv(?:ing|e|er)|resolution) (?:error|fail(?:ed|ure)?)\b",
        _C.DNS_RESOLUTION,
        "A DNS lookup failed while routing the mail.",
        stage=_S.DNS,
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.io_timeout",
        r"\(io timeout\)|\bio timeout\b",
        _C.NETWORK_TIMEOUT,
        "The connection stopped answering and a read or write timed out.",
        permanence=_T,
        retry=True,
    ),
    # Alibaba Cloud DirectMail's size refusal ("The length of DATA content is
    # achieved the maximum threshold") and the same words elsewhere.
    # A domain without MX records where the sender will not fall back to its A record
    # (qmail's "does not have any MX records, and delivery without MX records
    # prohibited by local policy"): a routing failure in DNS, whatever X.1.0 says.
    pattern(
        "wording.no_mx_records",
        r"\b(?:does not|doesn't) have any MX records?\b|"
        r"\bdelivery without MX records? prohibited\b",
        _C.DNS_RESOLUTION,
        "The recipient's domain has no MX record, and the sending side does not fall "
        "back to its A record.",
        stage=_S.DNS,
        permanence=_PM,
    ),
    # A sending MTA's own connection cap for a destination (GreenArrow's "All
    # connection backlog slots full due to max concurrent connections").
    pattern(
        "wording.own_connection_cap",
        r"\bconnection backlog slots\b|\bmax(?:imum)? concurrent connections\b",
        _C.RATE_LIMITED,
        "The sending side holds the mail back: it already has as many connections open "
        "to this destination as it allows itself.",
        permanence=_T,
        retry=True,
    ),
    pattern(
        "wording.data_length_limit",
        r"\blength of (?:the )?DATA content\b[^\n]{0,40}\bmaximum\b",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving side accepts.",
        hint=_S.MESSAGE,
        permanence=_PM,
    ),
)

# Recipient nouns followed (within a word or an address) by a word that they
# are gone or unusable; mailbox-quota and server-trouble words in other forms.
_GONE = (
    *("unknown", "disabled", "deactivated", "inactive", "suspended", "not found", "invalid"),
    *("(?:not )?unavailable", "not available", "no longer (?:valid|active|in use|exists?)"),
    *("does(?: not|n't) exist", "not exist"),
)
# Who or what is gone: a mailbox word (maybe with its address) or a bare address.
_GONE_WHO = (
    r"(?:(?<!sender )(?<!from )\b(?:mail-?box|account|user|recipient|addressee|destinataire)"
    r"(?: <?\S+@\S+?>?)?|<?(?<![\w.+-])[\w.+-]+@[\w.-]+>?)(?:\.\.\.)? (?:is |has been |was )?"
    r"(?:\w+ly )?"
)
BROAD_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "wording.message_refused",
        # The message refused with no cause named ("550 Message rejected"): the
        # receiver's rules, not a recipient (weak: a named cause decides).
        r"\bmessage (?:was |has been )?(?:rejected|refused|not accepted)\b|\brejected message\b|"
        # a reply whose whole text is "Rejected"
        r"\b[45]\d\d[ -]Rejected\.?\s*$",
        _C.POLICY_REJECTION,
        "The receiving server refused the message by its rules without saying which.",
        "A content or reputation filter, or a rule on the sender or its headers.",
        retry=False,
        specific=False,
    ),
    # (the sender's refusal first: its words may name a user too)
    pattern(
        "wording.sender_refused",
        r"Sender address rejected|\bunknown sender(?: address)?\b|\bsender rejection\b|"
        r"\bsender (?:address )?(?:is )?(?:unknown|invalid|not found|does(?: not|n't) exist)\b|"
        # Exim's callout ("550 Sender verify failed", "sender verify fail for <x>")
        r"\bsender verif(?:y|ication) fail",
        _C.POLICY_REJECTION,
        "The receiving server refused the sender address (MAIL FROM).",
        "The sender's domain does not resolve, the address is not allowed for this "
        "account or client, or a sender restriction matched.",
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.recipient_gone",
        # (one branch per word of _GONE: a text without the word skips its branch)
        "|".join(rf"{_GONE_WHO}(?:{gone})\b" for gone in _GONE) + r"|\buser not local\b|"
        # the same words in the other order ("unknown or illegal user")
        r"\b(?:unknown|invalid|illegal|nonexistent|non-existent|inactive|disabled|deactivated|"
        r"suspended)(?: or \w+)? "
        r"(?:user|mailbox|recipient|account|addressee|(?:e-?mail )?address)\b|"
        r"\b(?:bad|invalid) destination mailbox\b|\bno such (?:user|mailbox|account)\b|"
        # Postfix's DATA reply once every RCPT TO was refused.
        r"\bno valid recipients\b",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.cjk_recipient_gone",
        r"(?:宛先|アドレス|ユーザー?|メールボックス|受信者).{0,24}(?:見つかりません|存在しません|"
        r"ありません|無効)|(?:收件人|用户|邮箱|帐户|账户|帳號|用戶)[^。；;\n]{0,60}?"
        r"(?:不存在|无效|無效|已停用|被冻结)",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.content_judged",
        # What a content filter says it found; where it happened is read from
        # the words (SUBJECT_STAGES), not fixed here.
        # A virus or malware named with a verdict: an antivirus footer ("checked
        # for viruses", "free from viruses") in ordinary mail and auto-replies is none.
        # (a page named in a link, ".../spam.html", is no verdict)
        r"(?<!/)\bspam\b(?! ?(?:list|trap|haus|house)|\.\w)|\bphishing\b|"
        r"\b(?:virus|malware)(?:es)? (?:was |were |has been )?(?:found|detected)|"
        r"\b(?:virus|malware)[- ]infected|\binfected\b|contains? (?:an? )?(?:virus|malware)|"
        r"(?:rejected|refused|blocked|quarantined)\b[^.\n]{0,40}\b(?:virus|malware)|"
        r"\b(?:virus|malware)\b[^.\n]{0,40}\b(?:rejected|refused|blocked|quarantined)|"
        r"\bSpamAssassin\b|(?:banned|illegal|prohibited|forbidden|dangerous) (?:attachment|file)|"
        r"attachment (?:types? )?(?:not allowed|blocked|rejected|refused)|спам|垃圾邮件|垃圾郵件|"
        r"スパム|\bpourriel\b|correo no deseado|"
        r"(?:unacceptable|prohibited|forbidden|objectionable|inappropriate) content|"
        r"\bjunk ?mail\b|\b(?:bad|poor|low|negative) (?:\w+ )?reputation\b|"
        r"\bSpam-?verdacht|\bals Spam (?:erkannt|eingestuft)|"
        r"(?:rejected|refused|blocked|quarantined) by (?:the |our )?content[ -]?filter",
        _C.POLICY_REJECTION,
        "A content filter at the receiving server refused the message.",
        "The message (text, links, attachment) or its sender's reputation looked "
        "like spam or malware to the filter.",
        retry=False,
        specific=False,
    ),
    # The same classes in the languages of the providers users paste from
    # (German, French, Spanish, Italian, Portuguese, Polish, Russian, Chinese,
    # Japanese): a noun and a verb stem, in either order where the language does.
    pattern(
        "wording.intl_recipient_gone",
        r"\b(?:Empf[äa]nger|Postfach|Benutzer|destinataire|adresse|destinatario|usuario|"
        r"destinat[áa]rio|usu[áa]rio|odbiorca|adresat|skrzynka|получател\w*|пользовател\w*|"
        r"адресат\w*|ящик\w*)\b[^.;]{0,40}?(?:existiert nicht|unbekannt|n'existe pas|inconnue?|"
        r"no existe|desconocido|n[ãa]o existe|desconhecido|inesistente|nie istnieje|nieznan\w+|"
        r"не существует|не найден\w*|неизвестен)",
        _C.RECIPIENT,
        "The recipient address does not exist or cannot receive mail.",
        hint=_S.RCPT_TO,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_mailbox_full",
        r"\b(?:Postfach|boite|boîte|buzón|buzon|casella|caixa|skrzynka|ящик)\b[^.;]{0,40}?"
        r"(?:voll|pleine|lleno|piena|cheia|pe[łl]na|переполнен)|(?:邮箱|郵箱|信箱)(?:已满|已滿|空间不足)",
        _C.RECIPIENT,
        "The recipient's mailbox is full.",
        hint=_S.RCPT_TO,
        retry=True,
        specific=False,
    ),
    pattern(
        "wording.intl_sender_refused",
        r"\b(?:Absender|exp[ée]diteur|remitente|mittente|remetente|nadawca|отправител\w*)\b"
        r"[^.;]{0,30}?(?:abgelehnt|refus[ée]|rechazad|rifiutat|rejeitad|odrzucon|отклон)|"
        r"(?:发件人|發件人|寄件者|送信者).{0,12}(?:拒绝|拒絕|拒否)",
        _C.POLICY_REJECTION,
        "The receiving server refused the sender address (MAIL FROM).",
        hint=_S.MAIL_FROM,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.intl_message_size",
        r"\b(?:Nachricht|message|mensaje|messaggio|mensagem|wiadomo[śs][ćc]|сообщение)\b[^.;]{0,30}?"
        r"(?:zu gro[ßs]|trop (?:volumineux|gros|grand)|demasiado grande|troppo grande|muito grande|"
        r"za du[żz]|слишком больш)|(?:邮件|郵件|信件)(?:大小)?(?:超过|超過|过大|過大)|"
        r"(?:メッセージ|メール)(?:サイズ)?が?大きすぎ",
        _C.MESSAGE_SIZE,
        "The message is larger than the receiving server accepts.",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.source_blocked",
        # The sending host or IP is what is refused (a block list, a ban).
        r"\bbad IP\b|\b(?:IP|host|client)\b[^;\n]{0,40}?\b(?:blocked|black ?listed|"
        r"block ?listed|banned|listed (?:in|on|at|by))\b|\bin an RBL\b",
        _C.POLICY_REJECTION,
        "The receiving server refuses mail from the sending host or IP (a block list or a ban).",
        "The IP is on a DNS block list (Spamhaus, Spamcop, ...) or the receiver's own "
        "list after spam or a compromised account.",
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.header_refused",
        r"\bFrom'?:? header\b|\bheaders? (?:are |is )?not (?:RFC[ -]?\d* ?)?compliant|"
        r"\bheader\b[^.;\n]{0,30}?\bnot allowed\b|\bRFC ?5322\b",
        _C.POLICY_REJECTION,
        "The receiving server refused the message's headers (a missing or invalid "
        "From:, a header its rules do not allow).",
        hint=_S.MESSAGE,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.sender_domain_missing",
        r"\bDomain of sender address \S+ does not exist|\bsender domain (?:does not exist|"
        r"not found|unknown)|\bsend(?:er|ing) domain (?:does not|doesn't) have a valid "
        r"(?:MX|A|MX or A) record",
        _C.DNS_RESOLUTION,
        "The sender's domain does not resolve, so the receiver refuses mail from it.",
        hint=_S.MAIL_FROM,
        retry=False,
        specific=False,
    ),
    pattern(
        "wording.server_trouble",
        r"\bno healthy\b|Insufficient system resources|\bUnexpected failure\b|"
        r"temporar(?:y|ily) (?:server|system|local) (?:error|failure|problem)|"
        r"Internal (?:server )?error|\bUnknown error\b|"
        # its own queue storage (OpenSMTPD's queue-fs, Postfix's queue file)
        r"\bqueue-fs: \w+: |\bqueue file write error\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server had a problem of its own and could not take the mail now.",
        retry=True,
        specific=False,
    ),
)

STATED_STAGES: tuple[StagePhrase, ...] = (
    # OpenSMTPD and others log the command with its result.
    stage_phrase(
        "stage.quoted_rcpt",
        r"command=\"?RCPT TO\b|\"RCPT TO:[^\"]*\" =>|Failed command[^\n]*RCPT TO",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.quoted_mail",
        r"command=\"?MAIL FROM\b|\"MAIL FROM:[^\"]*\" =>|Failed command[^\n]*MAIL FROM",
        _S.MAIL_FROM,
    ),
    # Ruby's Net::SMTP frames name the command whose reply raised.
    stage_phrase("stage.ruby_rcpt", r"smtp\.rb:\d+:in [`']?(?:block in )?rcptto", _S.RCPT_TO),
    stage_phrase("stage.ruby_mail", r"smtp\.rb:\d+:in [`']?mailfrom\b", _S.MAIL_FROM),
    stage_phrase("stage.ruby_data", r"smtp\.rb:\d+:in [`']?data\b", _S.DATA),
    stage_phrase("stage.ruby_auth", r"smtp\.rb:\d+:in [`']?(?:authenticate|auth_\w+)", _S.AUTH),
    # Python's smtplib: connect() then getreply() is the wait for the greeting.
    stage_phrase(
        "stage.python_greeting",
        r"smtplib\.py\", line \d+, in connect\b(?:(?!\", line \d+, in (?:ehlo|helo|login|"
        r"starttls|sendmail|mail|rcpt|data)\b).)*?in getreply",
        _S.GREETING,
    ),
    stage_phrase(
        "stage.go_dial", r"(?<![A-Za-z0-9_])dial tcp(?: \S*\d+)?: (?!lookup\b)", _S.CONNECT
    ),
    # Yahoo refuses the sending IP in its reply to MAIL FROM ("553 Mail from x.x.x.x
    # not allowed").
    stage_phrase("stage.yahoo_mail_from_ip", r"\bMail from [\w.:]+ not allowed\b", _S.MAIL_FROM),
    stage_phrase(
        "stage.before_tls",
        r"before (?:a )?secure TLS connection was established|during (?:the )?TLS handshake",
        _S.TLS_HANDSHAKE,
    ),
    # PHPMailer 5 said "DATA command not accepted from server" for the command and
    # "DATA not accepted from server" for the reply to the message's end.
    stage_phrase(
        "stage.phpmailer5_data_end", r"SMTP -> ERROR: DATA not accepted from server\b", _S.MESSAGE
    ),
    # smtplib's debug output: the command sent, then the failing reply; a failing
    # reply right after the connect is the banner.
    stage_phrase(
        "stage.smtplib_debug_rcpt", r"send: b?'rcpt TO:[^']*'\s*reply: b?'[45]\d\d", _S.RCPT_TO
    ),
    stage_phrase(
        "stage.smtplib_debug_mail", r"send: b?'mail FROM:[^']*'\s*reply: b?'[45]\d\d", _S.MAIL_FROM
    ),
    stage_phrase(
        "stage.smtplib_debug_data", r"send: b?'data(?:\\[rn]|\s)*'\s*reply: b?'[45]\d\d", _S.DATA
    ),
    stage_phrase(
        "stage.smtplib_debug_ehlo", r"send: b?'(?:ehlo|helo)\b[^']*'\s*reply: b?'[45]\d\d", _S.EHLO
    ),
    stage_phrase(
        "stage.smtplib_debug_starttls",
        r"send: b?'STARTTLS(?:\\[rn]|\s)*'\s*reply: b?'[45]\d\d",
        _S.STARTTLS,
    ),
    stage_phrase(
        "stage.smtplib_debug_greeting",
        r"connect: to \([^)]*\) None\s*reply: b?'[45]\d\d",
        _S.GREETING,
    ),
    # The DATA command's reply (PHPMailer; Ruby waits for 354 to DATA; Swift and
    # Symfony Mailer name the reply code they waited for).
    stage_phrase(
        "stage.data_reply",
        r"\bdata not accepted\b|could not get 3xx \(354\)|"
        r"expected (?:reply |response code )?\"?354\b",
        _S.DATA,
    ),
    stage_phrase("stage.expected_220", r"\bExpected response code \"?220\b", _S.GREETING),
    stage_phrase("stage.expected_235", r"\bExpected response code \"?(?:235|334)\b", _S.AUTH),
    # Gmail names the command its 4xx answered: "... closing connection. (EHLO)".
    stage_phrase("stage.gmail_command_ehlo", r"[.,] \((?:EHLO|HELO)\)(?=[ \"'\\]|$)", _S.EHLO),
    stage_phrase("stage.gmail_command_mail", r"[.,] \(MAIL\)(?=[ \"'\\]|$)", _S.MAIL_FROM),
    stage_phrase("stage.gmail_command_rcpt", r"[.,] \(RCPT\)(?=[ \"'\\]|$)", _S.RCPT_TO),
    # A traceback's last frame whose source line calls starttls() (Django's
    # backend: "line 87, in open / self.connection.starttls(").
    stage_phrase("stage.python_starttls", r"line \d+, in \w+\s+\S*\.starttls\(", _S.STARTTLS),
    # Exim's "SMTP timeout after sending data block" is the message transfer;
    # Postfix's "... after CONNECT from" is before the client's first command.
    stage_phrase("stage.data_block", r"(?:after|while) sending data block", _S.MESSAGE),
    stage_phrase("stage.after_connect", r"\bafter CONNECT\b", _S.GREETING),
    # A reply that quotes the command it answers ("550 RCPT TO:<a@b> ...").
    stage_phrase(
        "stage.reply_quotes_rcpt", r"\b[45]\d\d[ -](?:[45]\.\d+\.\d+ )?RCPT TO:", _S.RCPT_TO
    ),
    stage_phrase(
        "stage.reply_quotes_mail", r"\b[45]\d\d[ -](?:[45]\.\d+\.\d+ )?MAIL FROM:", _S.MAIL_FROM
    ),
    # RFC 5321's own names for the arguments of RCPT TO and MAIL FROM.
    stage_phrase("stage.forward_path", r"\bforward[- ]path\b", _S.RCPT_TO),
    stage_phrase("stage.reverse_path", r"\breverse[- ]path\b", _S.MAIL_FROM),
    # Postfix's smtpd names the client's last command ("NOQUEUE: reject: CONNECT
    # from", "timeout after END-OF-MESSAGE from"); its older client said "while
    # performing the initial protocol handshake" for the wait for the banner.
    stage_phrase("stage.smtpd_eom", r"\b(?:after|reject:) (?:END-OF-MESSAGE|BDAT)\b", _S.MESSAGE),
    stage_phrase("stage.smtpd_connect", r"\breject: CONNECT from\b", _S.GREETING),
    stage_phrase("stage.smtpd_data", r"\breject: DATA from\b", _S.DATA),
    stage_phrase(
        "stage.smtpd_ehlo",
        r"\breject: (?:EHLO|HELO) from\b|\brejected (?:EHLO|HELO) from\b",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.initial_handshake", r"\bperforming the initial protocol handshake\b", _S.GREETING
    ),
    stage_phrase("stage.exim_initial", r"\bin response to initial connection\b", _S.GREETING),
    # Sendmail's client phases ("timeout waiting for input from X during
    # client RCPT"; DATA 354 is the command, DATA status the message's end).
    stage_phrase("stage.sendmail_phase_mail", r"\bduring client MAIL\b", _S.MAIL_FROM),
    stage_phrase("stage.sendmail_phase_rcpt", r"\bduring client RCPT\b", _S.RCPT_TO),
    stage_phrase("stage.sendmail_phase_data", r"\bduring client DATA 354\b", _S.DATA),
    stage_phrase("stage.sendmail_phase_eom", r"\bduring client DATA status\b", _S.MESSAGE),
    stage_phrase("stage.sendmail_phase_ehlo", r"\bduring client (?:EHLO|HELO)\b", _S.EHLO),
    stage_phrase("stage.sendmail_phase_tls", r"\bduring client STARTTLS\b", _S.STARTTLS),
    stage_phrase("stage.sendmail_phase_auth", r"\bduring client AUTH\b", _S.AUTH),
    stage_phrase("stage.sendmail_collect", r"\bpremature EOM\b|\bcollect: I/O error\b", _S.MESSAGE),
    stage_phrase("stage.sendmail_lost_mail", r"\bto MTA after mail\b", _S.MAIL_FROM),
    # qmail-remote: "Connected to X but greeting failed."
    stage_phrase("stage.qmail_greeting", r"\bbut greeting failed\b", _S.GREETING),
    # (nodemailer's command key as util.inspect writes it, 'RCPT TO', or JSON, "RCPT TO")
    # A library or gateway that names the command ("SMTP ERROR: EHLO command
    # failed", nodemailer's command: 'RCPT TO', "rejected at MAIL FROM",
    # "550 ... at RCPT"); the command's name in capitals.
    stage_phrase("stage.ehlo_failed", r"(?-i:\b(?:EHLO|HELO) command failed\b)", _S.EHLO),
    stage_phrase(
        "stage.at_command_rcpt",
        rf"{_CMD}RCPT(?: TO)?{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:RCPT(?: TO)?)\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.at_command_mail",
        rf"{_CMD}MAIL(?: FROM)?{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:MAIL(?: FROM)?)\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.at_command_data",
        rf"{_CMD}DATA{_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:DATA)\b",
        _S.DATA,
    ),
    stage_phrase(
        "stage.at_command_ehlo",
        rf"{_CMD}(?:EHLO|HELO|LHLO){_Q}|(?:\bat|\bfailed at|\bresponse to) (?-i:EHLO|HELO)\b",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.at_command_auth",
        rf"{_CMD}AUTH\b|(?:\bat|\bfailed at|\bresponse to) (?-i:AUTH)\b",
        _S.AUTH,
    ),
    stage_phrase("stage.at_command_tls", rf"{_CMD}STARTTLS{_Q}", _S.STARTTLS),
    # RFC 5321 §4.1.4 sequence replies name what should have come first: the
    # command they answer is the next one.
    stage_phrase("stage.need_mail", r"\bneed MAIL (?:command|before RCPT)\b", _S.RCPT_TO),
    stage_phrase("stage.need_rcpt", r"\bneed RCPT(?: TO)? (?:command|before DATA)\b", _S.DATA),
    # Swift/Symfony Mailer wait for 354 only after DATA; mailio's "Mail sender
    # rejection" and mail clients' "Recipient address 'x' not accepted" name theirs.
    stage_phrase("stage.expected_354", r"\bExpected response code 354\b", _S.DATA),
    stage_phrase("stage.sender_rejection", r"\bMail sender rejection\b", _S.MAIL_FROM),
    stage_phrase(
        "stage.recipient_not_accepted",
        r"\bRecipient address '[^'\n]*' not accepted\b|\brecipient not accepted by the server\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.need_helo", r"\bsend HELO/EHLO first\b|\bneed (?:HELO|EHLO) first\b", _S.MAIL_FROM
    ),
    # An application's own words around the command it sent ("Failed to send
    # RCPT TO: 550", "MAIL FROM rejected: 553", "[MAIL FROM] 553", "refused DATA").
    *(
        stage_phrase(
            f"stage.named_command_{name}",
            rf"\b(?:send(?:ing)?|refused|rejected|failed(?: at| on)?|on) (?-i:{command})\b|"
            # (\b: not the end of a word, an upper-case "EMAIL REJECTED")
            rf"\b(?-i:{command})(?: command)? (?:rejected|refused|failed|not accepted)\b|"
            rf"\[(?-i:{command})\]",
            stage,
        )
        for name, command, stage in (
            ("rcpt", "RCPT(?: TO)?", _S.RCPT_TO),
            ("mail", "MAIL(?: FROM)?", _S.MAIL_FROM),
            ("data", "DATA", _S.DATA),
            ("ehlo", "EHLO|HELO", _S.EHLO),
            ("auth", "AUTH(?: [A-Z0-9-]+)?", _S.AUTH),
            ("starttls", "STARTTLS", _S.STARTTLS),
        )
    ),
    # OpenCart's "Password not accepted from server!"; libetpan's (Delta Chat,
    # MailCore) function names ("mailsmtp_rcpt: unexpected error code").
    stage_phrase(
        "stage.credentials_not_accepted",
        r"\b(?:Username|Password) not accepted from server\b",
        _S.AUTH,
    ),
    stage_phrase("stage.libetpan_rcpt", r"\bmailsmtp_rcpt\b", _S.RCPT_TO),
    stage_phrase("stage.libetpan_mail", r"\bmailsmtp_mail\b", _S.MAIL_FROM),
    stage_phrase("stage.libetpan_data", r"\bmailsmtp_data(?:_message)?\b", _S.DATA),
    stage_phrase("stage.libetpan_auth", r"\bmailsmtp_auth\w*", _S.AUTH),
    stage_phrase("stage.libetpan_ehlo", r"\bmailsmtp_(?:e?helo|init)\w*", _S.EHLO),
    # Exim's receiving side: "lost while reading message data", "SMTP data
    # timeout (message abandoned)", "(last command was \"RCPT TO:<...>\")";
    # postscreen's PREGREET is a client talking before the banner.
    stage_phrase(
        "stage.exim_message_data",
        r"\blost while reading message data\b|\bSMTP data timeout\b",
        _S.MESSAGE,
    ),
    stage_phrase("stage.last_command_rcpt", r"\blast command was \"RCPT\b", _S.RCPT_TO),
    stage_phrase("stage.last_command_mail", r"\blast command was \"MAIL\b", _S.MAIL_FROM),
    stage_phrase("stage.last_command_data", r"\blast command was \"DATA\b", _S.DATA),
    stage_phrase("stage.last_command_ehlo", r"\blast command was \"(?:EHLO|HELO)\b", _S.EHLO),
    stage_phrase("stage.last_command_auth", r"\blast command was \"AUTH\b", _S.AUTH),
    stage_phrase("stage.pregreet", r"\bPREGREET \d+ after\b", _S.GREETING),
    # STARTTLS the server does not offer; a certificate's validation (Microsoft's
    # 4.7.5) is part of the TLS handshake.
    stage_phrase(
        "stage.starttls_not_offered",
        r"\b(?:does not|doesn't|did not) offer STARTTLS\b|"
        r"\bSTARTTLS (?:is )?not (?:offered|advertised)\b",
        _S.STARTTLS,
    ),
    stage_phrase(
        "stage.certificate_validation", r"\bCertificate validation fail", _S.TLS_HANDSHAKE
    ),
    # qmail-smtpd's qmail-queue results come after the data; its HELO check.
    stage_phrase("stage.qmail_queue", r"\bqqt failure\b|\bqq temporary problem\b", _S.MESSAGE),
    stage_phrase(
        "stage.your_helo", r"\byour (?:HELO|EHLO) (?:host ?name|name|greeting)\b", _S.EHLO
    ),
    stage_phrase("stage.sending_body", r"\bsend(?:ing)? (?:the )?message body\b", _S.MESSAGE),
    stage_phrase("stage.rejected_sender", r"\b(?:rejected|refused) sender\b", _S.MAIL_FROM),
    # RFC 4954 §6's 538 text answers AUTH (its 504 5.7.4 keeps the corpus's none).
    stage_phrase(
        "stage.auth_mechanism",
        r"\bEncryption required for requested authentication mechanism\b",
        _S.AUTH,
    ),
    stage_phrase(
        "stage.auth_mechanism_failed",
        r"\bAUTH (?:LOGIN|PLAIN|CRAM-MD5|DIGEST-MD5|XOAUTH2?|NTLM) (?:failed|rejected)\b",
        _S.AUTH,
    ),
    stage_phrase(
        "stage.connect_words",
        r"\btimed out connecting\b|\bConnection to \"?[^\s\"]+:\d+\"? timed out\b|"
        r"\bFailed to establish (?:a |the )?(?:TCP )?connection\b",
        _S.CONNECT,
    ),
    # MailKit's stack frames and error codes, JavaMail's SMTPTransport frames:
    # the method that raised names the command (MailKit's and JavaMail's data
    # methods send the message too; most refusals there come at its end).
    stage_phrase(
        "stage.library_frame_rcpt_to",
        r"SmtpClient\.RcptTo(?:Async)?\b|ErrorCode: RecipientNotAccepted|SMTPTransport\.rcptTo\b",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.library_frame_mail_from",
        r"SmtpClient\.MailFrom(?:Async)?\b|ErrorCode: SenderNotAccepted|SMTPTransport\.mailFrom\b",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.library_frame_message",
        r"SmtpClient\.(?:Data|Bdat)(?:Async)?\b|ErrorCode: MessageNotAccepted|"
        r"SMTPTransport\.finishData\b",
        _S.MESSAGE,
    ),
    stage_phrase("stage.library_frame_data", r"SMTPTransport\.data\b", _S.DATA),
    stage_phrase("stage.library_frame_ehlo", r"SMTPTransport\.(?:helo|ehlo)\b", _S.EHLO),
    stage_phrase(
        "stage.library_frame_auth",
        r"SmtpClient\.Authenticate(?:Async)?\b|SMTPTransport\$Authenticator\b",
        _S.AUTH,
    ),
    # Microsoft's SMTPSEND.DNS.* statuses and "Failed to connect" in a wrapper.
    stage_phrase("stage.smtpsend_dns", r"\bSMTPSEND\.DNS\.", _S.DNS),
    stage_phrase("stage.failed_to_connect", r"\bFailed to connect\b", _S.CONNECT),
    # Rust clients' debug logs (async-smtp, lettre): "...inner] >> MAIL FROM:<...>"
    # then, on the next line, "...inner] << 550 ...": the command the refusal answered
    # (searched on the flattened text, so no other "] >> " command in between).
    stage_phrase(
        "stage.debug_arrows_mail_from",
        r"\] >> MAIL FROM:(?:(?!\] >> ).){0,300}?\] << [45]\d\d",
        _S.MAIL_FROM,
    ),
    stage_phrase(
        "stage.debug_arrows_rcpt_to",
        r"\] >> RCPT TO:(?:(?!\] >> ).){0,300}?\] << [45]\d\d",
        _S.RCPT_TO,
    ),
    stage_phrase(
        "stage.debug_arrows_data", r"\] >> DATA\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d", _S.DATA
    ),
    stage_phrase(
        "stage.debug_arrows_ehlo",
        r"\] >> (?:EHLO|HELO)\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d",
        _S.EHLO,
    ),
    stage_phrase(
        "stage.debug_arrows_auth", r"\] >> AUTH\b(?:(?!\] >> ).){0,300}?\] << [45]\d\d", _S.AUTH
    ),
)

# What was blocked is the sending host or IP (a block list), not the message.
_SOURCE_WORDS = re.compile(
    r"\b(?:IP|host|server|network)\b[^;\n]{0,40}?\b(?:block(?:ed|listed)?|black ?listed|listed)\b|"
    r"\bblock ?list|\bspam ?list|\b(?:for|de) spam(?:ming)?\b|\bspamming\b|Spamhaus",
    re.IGNORECASE,
)
_MESSAGE_WORDS = re.compile(
    r"\b(?:spam|virus|malware|attachment|DMARC|DKIM|headers?|content|SpamAssassin|"
    # "your message" alone is an NDR's own prose ("Your mail to ... could not
    # be delivered"); it names the message as what was judged only with a verdict.
    r"(?:this|the|your) (?:message|mail|email) (?:was |has been |is |looks )?"
    r"(?:rejected|refused|blocked|considered|identified|classified|flagged|detected|"
    r"(?:was )?found|contains?|appears?)|"
    r"message (?:not|was|has been|rejected|refused|blocked|not allowed|not accepted)|"
    r"Message not allowed|mail content|From: header|unsolicited mail)\b|"
    # (no word boundaries inside CJK text)
    r"спам|垃圾邮件|垃圾郵件|スパム|\bSpam-?verdacht",
    re.IGNORECASE,
)
_SENDER_WORDS = re.compile(
    r"\bSPF\b|Sender Policy Framework|\bMail ?From domain\b|\benvelope sender\b|"
    r"\bsender (?:address|domain)\b|\bEmetteur\b|"
    r"\bAbsender\b|\bexp[ée]diteur\b|\bremitente\b|отправител|发件人|送信者|"
    r"\bInvalid Sender\b",
    re.IGNORECASE,
)
_GREETING_WORDS = re.compile(
    r"not allowed to connect|\bNo SMTP service\b|\bconnection (?:refused|rejected) by policy\b",
    re.IGNORECASE,
)
# (words, stage); the first that matches decides (NONE: the text names what
# was judged, and it tells no stage).
SUBJECT_STAGES: tuple[tuple[re.Pattern[str], Stage], ...] = (
    (_GREETING_WORDS, Stage.GREETING),
    (_SENDER_WORDS, Stage.MAIL_FROM),
    (_SOURCE_WORDS, Stage.NONE),
    (_MESSAGE_WORDS, Stage.MESSAGE),
)
_SUBJECT_CATEGORIES = frozenset({Category.POLICY_REJECTION})
# For an ASCII text, the (lower-cased) words one of which each of
# SUBJECT_STAGES' matches contains (its other words are not ASCII); None:
# not worth checking. A text without any skips the regex's scan.
_SUBJECT_NEEDS: tuple[tuple[str, ...] | None, ...] = (
    ("not allowed to connect", "no smtp service", " by policy"),
    ("spf", "sender", "from domain", "emetteur", "expediteur", "remitente"),
    ("block", "list", "spam"),
    None,
)


def subject_stage(category: Category, text: str) -> Stage | None:
    """Where a refusal of ``category`` usually happens, from what the text says was judged."""
    if category not in _SUBJECT_CATEGORIES:
        return None
    lowered = text.lower() if text.isascii() else None
    for (words, stage), needs in zip(SUBJECT_STAGES, _SUBJECT_NEEDS, strict=True):
        if lowered is not None and needs is not None and not any(map(lowered.__contains__, needs)):
            continue
        if words.search(text):
            return stage
    return None


# RFC 4954 §6: these replies answer AUTH and nothing else.
CODE_STAGES: dict[int, Stage] = {534: Stage.AUTH, 535: Stage.AUTH, 538: Stage.AUTH}
