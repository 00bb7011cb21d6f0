"""Wordings of old and provider bounce formats that no code in them states.

Found on the fifth bounce collection (GNU Mailman 2's bounce-detector test
mails, flanker's fixtures; tests/data/bounces/README.md): mailers of the
2000s (Netscape Messaging Server, SMTP32, phquery directories, X.400
gateways, Jetmail, InterScan) write the cause in words only, and a generic
code beside them (``553 5.3.0``, ``4.4.4``) would mislead. These come
before the vendor table: each is narrower than the phrasing it would
otherwise meet ("not accepting mail *from X*" is the recipient's filter,
not a server that accepts no mail).
"""

from __future__ import annotations

from smtpdoctor.knowledge.phrasing import TextPattern, pattern
from smtpdoctor.model import Category, Permanence, Stage

__all__ = [
    "AGGREGATE_REPORT_FILES",
    "AGGREGATE_REPORT_SUBJECTS",
    "AUTO_REPLY_MARKS",
    "AUTO_REPLY_OPENINGS",
    "AUTO_REPLY_SUBJECTS",
    "BOUNCE_PATTERNS",
    "BOUNCE_SUBJECTS",
    "BOUNCE_TEXT_OPENINGS",
    "CHALLENGE_MARKS",
    "DELIVERED_MARKS",
    "DELIVERED_SUBJECTS",
    "LURE_MARKS",
    "MS_NDR_END",
    "MS_NDR_HEADINGS",
    "NOTICE_MARKS",
    "ORIGINAL_MARKS",
    "QMAIL_LOG_FAILURE",
]

_C, _S, _PM = Category, Stage, Permanence.PERMANENT

# How the bounce texts users paste or save without headers open (compiled
# case-insensitive, multi-line, by evidence/bounce.py): the first lines of
# Postfix, Exim, Sendmail, qmail, Gmail, Exchange 2003 to Microsoft 365,
# Symantec and generic reports, or a Postfix-style "<addr>: host ... said:"
# paragraph. The later lines are the classes the twelfth collection (texts
# pasted into GitHub issues) showed: Gmail's headings copied from the
# rendered mail lose their "**"; Sun/Oracle Messaging Server (iCloud) opens
# with "cannot be delivered to the following recipients"; Gmail's temporary
# "There was a temporary problem delivering your message to"; Microsoft 365
# writes its whole NDR in the sender's language (the German, French and
# English sentences as users pasted them: the opening, a recipient not
# found, a full mailbox).
# How the subjects of automatic replies open (RFC 3834 replies and the ones
# that set no Auto-Submitted), compiled case-insensitive by
# evidence/bounce.py: Lotus Notes/Domino's "AUTO: Jane Doe is out of the
# office (returning ...)", Exchange 2003's "Out of Office AutoReply:", Outlook
# and Exchange's "Automatic reply:" in the client's language (German
# "Automatische Antwort" and "Abwesenheitsnotiz", French, Spanish, Portuguese,
# Italian, Dutch, Scandinavian, Finnish, Polish, Czech, Russian, Turkish,
# Chinese, Japanese, Korean), Zimbra's and Yahoo's "Auto Response", a bracketed
# "[Auto-Reply]". A bounce is never read as one: its subject and sender are
# checked first.
AUTO_REPLY_SUBJECTS = (
    r"^\s*[\[(]?\s*(?:auto\s*:|auto(?:matic)?[ -]?(?:reply|response|responder|answer|antwort)|"
    r"out of (?:the )?office|away|vacation|absence|abwesen|automatische antwort|"
    r"r[ée]ponse automatique|message d'absence|absent(?:e)? du bureau|respuesta autom|"
    r"fuera de la oficina|resposta autom|risposta automatica|fuori (?:sede|ufficio)|"
    r"automatisch antwoord|afwezig|auto(?:matisk )?svar|automaattinen vastaus|"
    r"automatyczna odpowied|automatick[áa] odpov|автоматический ответ|автоответ|"
    r"otomatik (?:yan[ıi]t|cevap)|自动回复|自动答复|自動回覆|自動回復|自動応答|自動返信|"
    r"자동\s*회신|자동\s*응답)"
)

# How the text of an out-of-office reply opens, for one that carries neither
# an auto-reply header nor such a subject (a Gmail or Zimbra responder's
# "Re: <subject>", a paste without headers): the person is away, in English,
# German, French, Spanish, Portuguese, Italian and Dutch.
AUTO_REPLY_OPENINGS = (
    # an optional greeting or thanks first
    r"\A\W*(?:(?:hello|hi|dear [^\n,]{0,40}|thank you for your (?:e-?mail|message)[^\n]{0,40}|"
    r"guten (?:tag|morgen)|hallo|vielen dank f(?:ü|ue)r ihre (?:nachricht|e-?mail)[^\n]{0,40}|"
    r"bonjour|merci pour votre (?:message|e-?mail)[^\n]{0,40}|hola|buenos d[íi]as|"
    r"gracias por su (?:mensaje|correo)[^\n]{0,40}|ol[áa]|bom dia|buongiorno|goedendag|"
    # (session 22) the thanks Italian, Portuguese, Dutch and Polish responders open with
    # ("Grazie per il messaggio.", "Obrigado pela sua mensagem.", "Bedankt voor uw
    # bericht.", "Dziękuję za wiadomość."), and their greetings
    r"grazie (?:per|della) (?:il |la )?(?:suo |sua |tuo |tua )?(?:messaggio|e-?mail|mail)"
    r"[^\n]{0,40}|obrigad[oa] (?:pela|pelo) (?:sua |seu )?(?:mensagem|e-?mail|contato|contacto)"
    r"[^\n]{0,40}|(?:hartelijk )?(?:bedankt|dank u|dank je) (?:wel )?voor (?:uw|je|jouw) "
    r"(?:bericht|e-?mail|mail)[^\n]{0,40}|"
    r"dzi(?:ę|e)kuj(?:ę|e) za (?:(?:pa(?:ń|n)sk(?:ą|a)|twoj(?:ą|a)) )?"
    r"(?:wiadomo(?:ść|sc)|e-?mail|maila?|list)[^\n]{0,40}|ciao|salve|goedemorgen|goedemiddag|"
    r"dzie(?:ń|n) dobry|witam|hej|hei|moi|ahoj|merhaba|здравствуйте)"
    r"[\s,.!]+)?"
    r"(?:(?:I am|I'm|I will be|I'll be) (?:currently )?(?:out of (?:the )?office|away from "
    r"(?:the |my )?(?:office|desk)|on (?:annual )?(?:leave|vacation|holiday)|away|absent|"
    r"travell?ing|on (?:a )?business trip)|"
    r"(?:ich bin|ich befinde mich)\b[^\n]{0,60}?(?:abwesend|nicht im b(?:ü|ue)ro|im urlaub)|"
    r"je (?:suis|serai) (?:actuellement )?(?:absente?|en cong[ée]s?)|"
    r"(?:estoy|estar[ée]) (?:fuera de la oficina|de vacaciones|ausente)|"
    r"(?:estou|estarei) (?:fora do escrit[óo]rio|de f[ée]rias|ausente)|"
    r"(?:sono|sar[òo]) (?:attualmente |al momento )?(?:fuori (?:sede|ufficio)|in ferie|assente)|"
    r"ik ben (?:momenteel |tot [^\n]{0,20})?(?:afwezig|niet op kantoor|met vakantie)|"
    # (session 22) the others the subject table names: Polish, Scandinavian, Finnish,
    # Czech, Russian, Turkish ("Jestem na urlopie", "Jag är på semester", "Olen
    # lomalla", "Jsem na dovolené", "Я в отпуске", "İzindeyim")
    r"(?:jestem|b(?:ę|e)d(?:ę|e)) (?:obecnie |aktualnie )?(?:na urlopie|poza biurem|"
    r"nieobecn[ya])|jag (?:är|kommer att vara) (?:ledig|på semester|tjänstledig|inte på kontoret)|"
    r"jeg er (?:på ferie|fraværende|ikke på kontoret|ude af huset)|olen (?:lomalla|poissa)|"
    r"jsem (?:na dovolen(?:é|e)|mimo kancel(?:á|a)ř)|я (?:сейчас |нахожусь )?в отпуске|"
    r"(?:izindeyim|ofis dışındayım)|"
    # "I will be back on ...", Lotus Notes' German "Ich kehre zurück am ..."
    # (its umlaut often lost on the way: "zur\ufffdck")
    r"I (?:will|shall) (?:be back|return) (?:on|at|by)\b|ich kehre zur.{1,2}ck am\b|"
    r"je serai de retour le\b)"
)

# Sentences an out-of-office reply carries anywhere in its text: Lotus Notes'
# and Domino's "Note: This is an automated response to your message ... This
# is the only notification you will receive while this person is away" in
# English, German ("Dies ist eine automatische Antwort auf Ihre Nachricht",
# "die einzige Benachrichtigung ... während diese Person abwesend ist"),
# French and Spanish. A bounce is never read by them (its openings and
# headers are checked first).
# What a challenge-response filter's notice says (Bluebottle, TMDA, Boxbe, cPanel's
# BoxTrapper, Spam Arrest): the mail is held until the sender proves to be a person,
# so the notice is no auto-reply whatever its Precedence or Auto-Submitted says.
CHALLENGE_MARKS = (
    r"verify\s+that\s+(?:you\s+are|they\s+are)\s+(?:an?\s+)?(?:real\s+)?(?:live\s+)?"
    r"(?:human|person|people)|"
    # TMDA's confirmation request: "Your message attached below is being held because
    # the address <x> has not been verified. To release your message for delivery,
    # please reply to this confirmation request."
    r"\bis\s+being\s+held\s+because\s+the\s+address\s+\S+\s+has\s+not\s+been\s+verified|"
    r"\breply\s+to\s+this\s+confirmation\s+request\b|"
    r"have\s+your\s+(?:e-?mail\s+)?address\s+added\s+to\s+the\s+recipient'?s?\s+"
    r"(?:allowed|approved|safe)\s+list|"
    r"\bnot\s+pre-?approved\b|your\s+(?:e-?mail|message)\s+requires\s+verification|"
    # (session 15) Spam Arrest's and its kind's opening: "I am protecting myself from
    # receiving junk mail. Please click the link below to complete the verification
    # process."
    r"\b(?:I\s+am|I'm)\s+protecting\s+myself\s+from\s+(?:receiving\s+)?(?:junk|spam|unsolicited)\b|"
    r"\bclick\s+the\s+link\s+below\s+to\s+complete\s+the\s+verification\s+process\b"
)
# What phishing dressed as a bounce or a mailbox notice asks (seen in mailing-list
# archives: "Undeliverable: Incoming messages failure", "N pending messages"): to
# review, release or restore held mail, or confirm the account. A report on mail
# the reader sent asks none of that, so such a text is no failure report.
LURE_MARKS = (
    r"\b(?:review|release|restore|recover|retrieve)(?:\s+or\s+delete)?\s+(?:your\s+)?"
    r"(?:held|pending|undelivered|blocked|failed)\s+(?:outgoing\s+|incoming\s+)?(?:e-?mail\s+)?"
    r"(?:mails?|messages?)\b|"
    r"\byour\s+incoming\s+(?:e-?mail\s+)?messages\s+(?:has|have)\s+been\s+"
    r"(?:placed\s+on\s+hold|held|suspended)\b|"
    r"\bconfirm(?:ing)?\s+your\s+(?:e-?mail\s+)?account\b|\bmay\s+cause\s+login\s+interruption\b|"
    # (More of the same asks, in the words of lures sent to list archives'
    # addresses: read, view or re-send mail said to be stuck; re-validate or
    # verify the account; click a button to allow delivery; a parcel to pay for.)
    r"\b(?:read|view|retrieve|retrive|retreive|resend|re-send)\s+(?:all\s+)?(?:the\s+|your\s+)?"
    r"(?:stuck|undeliver(?:ed|able)|pending|held|hanging)\s+(?:e-?mails?|messages?)\b|"
    r"\bread\s+the\s+messages\s+below\s+to\s+avoid\s+losing\b|"
    r"\b(?:revalidate|re-validate|verify)\s+your\s+(?:e-?mail\s+)?account\s+(?:now|below|here)\b|"
    r"\bplease\s+click\s+the\s+button\s+below\b|"
    r"\byour\s+(?:parcel|package|shipment)\s+(?:has\s+just\s+arrived|could\s+not\s+be\s+delivered)\b|"
    # (session 19) A count of the reader's own mail said to be held ("You have (7) Suspended
    # incoming messages", "You have 3 pending messages"): a quarantine's or a lure's words
    # to a mailbox's owner, never a report on one message the reader sent.
    r"\byou\s+have\s+\(?\d+\)?\s+(?:suspended|pending|held|undelivered|blocked)\s+"
    r"(?:incoming\s+|outgoing\s+)?(?:e-?mails?|messages?)\b|"
    # A mass-mailing worm's fake bounce (the Sober family's "Mail Error" mails, 2004-2005,
    # as they reached lists and bug trackers): qmail's sentences with underscores for
    # spaces under "Occured_Errors:", its attachment the worm. No MTA writes them so:
    # no report on mail the reader sent.
    r"\bOccured_Errors:|failed_after_I_sent_the_message|does_not_like_(?:recipient|sender)\b|"
    r"\bRemote_host_said:_"
)
# (session 14) qmail-send's own log line for a failed delivery ("delivery 12: failure:
# 1.2.3.4_does_not_like_recipient./Remote_host_said:_550_.../Giving_up_on_1.2.3.4./"): it
# writes the report's sentences with underscores for spaces, which is what the worm's fake
# bounce imitates. A text that holds such a log line and not the worm's "Occured_Errors:"
# is qmail's report as a host's help page or a log shows it, no lure.
QMAIL_LOG_FAILURE = (
    r"\b(?:failure|deferral):\s*\S*_(?:does_not_like_(?:recipient|sender)|"
    r"failed_after_I_sent_the_message|Remote_host_said:_)"
)
# (session 14) Notices that report no failed delivery of the reader's mail (compiled
# case-insensitive by evidence/bounce_kind.py): an anti-virus filter's notice that a
# message was cleaned and delivered, or sent on without its infected attachment
# (Forefront Online Protection's "renset og levert", a Japanese provider's "the mail
# transmission has been successfully completed"); one addressed to the recipient about
# mail sent to them ("detected a virus in a message sent to you", "お客さまへのメール");
# a warning to a mailbox's owner that their own mailbox is over its quota.
NOTICE_MARKS = (
    r"\b(?:cleaned|renset|bereinigt|nettoy[ée]) (?:and|og|und|et) (?:delivered|levert|"
    r"zugestellt|remis|distribu[ée])\b|"
    r"\bhas been sent\s*,\s*but the infected attachment was (?:deleted|removed)\b|"
    r"\bmail transmission has been successfully completed\b|"
    r"\ba virus in (?:a|the) (?:message|mail|e-?mail) sent\s+to you\b|"
    r"お客(?:さま|様)へのメールにウイルス|"
    # (session 18) more gateways' notices to the recipient (rt.perl.org's, 2002): mail
    # "sent to you" with a virus, a virus "in your receiving mail traffic", the infected
    # message attached with "it is recommended that you delete this message"; and the
    # mail sent on without its attachment: "the attachment was moved/removed", "the
    # file attached to this email was removed" (Trend ScanMail, a gateway's file
    # blocking). A notice that says the mail was not delivered is none (notice()).
    r"\bsent to you (?:a |an )?(?:mail|message|e-?mail) (?:with|containing)\b|"
    r"\bin your (?:receiving|incoming|inbound) (?:mail|e-?mail|message)s?(?: traffic)?\b|"
    r"\brecommended that you delete this (?:message|mail|e-?mail)\b|"
    r"\battachment(?:\(s\))?(?: [\w.-]{1,60})? (?:was|were|has been|have been) "
    r"(?:moved|removed|deleted|stripped)\b|"
    r"\b(?:file|attachment)s? attached to this (?:e-?mail|message|mail) (?:was|were|has been) "
    r"(?:removed|deleted|stripped)\b|"
    r"\byour mailbox quota (?:was|has been|is) exceeded\b|\bquota exceeding warning\b|"
    # (session 22) the warning before it: the owner's mailbox almost full ("Your mailbox
    # is almost full", "your mailbox has reached 90% of its quota")
    r"\byour (?:mailbox|inbox|mail ?box|e-?mail account) is (?:almost|nearly) full\b|"
    r"\byour (?:mailbox|inbox|e-?mail account) (?:has )?(?:reached|exceeded|is at) \d{1,2} ?% "
    r"of its (?:storage |size )?(?:limit|quota|capacity)\b|"
    r"\byour (?:mailbox|inbox) is (?:now )?\d{1,2} ?% full\b|"
    # (Exchange's warning: "You are exceeding the size limit set on your mailbox by the
    # system administrator"; "You are approaching quota")
    r"\byou are (?:exceeding|approaching) the size limit set on your mailbox\b|"
    r"\byou are approaching (?:your )?(?:mailbox )?quota\b|"
    # (session 19) a list manager's warning to a member that the list's mail to them
    # bounced (ezmlm: "Messages to you from the x mailing list seem to have been
    # bouncing"; Mailman: "Your membership in the mailing list x has been disabled due to
    # excessive bounces"): no mail the reader sent failed
    r"\bmessages\s+to\s+you\s+from\s+the\s+\S+\s+mailing\s+list\s+seem\s+to\s+have\s+been\s+"
    r"bouncing\b|\byour\s+membership\s+in\s+the\s+mailing\s+list\s+\S+\s+has\s+been\s+disabled\s+"
    r"due\s+to\s+excessive\s+bounces\b"
)
# The aggregate reports receivers send a domain's postmaster: DMARC's (RFC 7489
# §7.2.1.1: subject "Report Domain: <d> Submitter: <s> Report-ID: <id>",
# a zip or gzip named "<submitter>!<domain>!<begin>!<end>[!<id>]") and
# SMTP TLS reporting's (RFC 8460 §5.3: the same subject, a TLS-Report-Domain
# header, report-type=tlsrpt). They count another sender's mail (pass and
# fail alike): no delivery of the reader's mail failed. Providers put a
# "[Preview]" tag before the subject.
# The subjects of delivery notices written in words, not as a DSN (compiled
# case-insensitive by evidence/bounce_kind.py): Gromox's "Mail has been delivered
# successfully" (and its Japanese template's "メールが正常に配信されました"),
# Exchange and Outlook's delivery receipt "Delivered: <subject>", and their "Relayed:
# <subject>" (session 13: RFC 3464's "relayed", handed to a system that sends no
# delivery notice). The mail was delivered: no failure to explain.
DELIVERED_SUBJECTS = (
    r"^\s*(?:(?:your\s+)?(?:e-?mail|mail|message)\s+(?:has\s+been|was)\s+(?:successfully\s+)?"
    r"delivered\b(?!\s+to\s+the\s+following)|(?:e-?mail|mail|message)\s+delivered\s+successfully\b|"
    r"(?:Delivered|Relayed):\s)|正常に配信されました"
)
# (session 22) What a delivery or read receipt says in its text, pasted without its
# "Delivered:" or "Read:" subject: Outlook's "Your message ... was delivered to the
# following recipient(s):", Exchange's "Delivery to these recipients or groups is
# complete", a read receipt's "was read on <date>". No failure to explain (guarded as
# the notices are: a text naming a reply code or "not delivered" is none).
DELIVERED_MARKS = (
    r"\bwas delivered to the following recipient(?:\(s\)|s)?\s*:|"
    r"\bdelivery to these recipients or groups is complete\b|"
    r"\bhas been delivered to the following recipient(?:\(s\)|s)?\s*:|"
    r"^\s*was read on\s+\S"
)
AGGREGATE_REPORT_SUBJECTS = (
    r"^\s*(?:\[[^\]\n]{1,40}\]\s*)?Report\s+Domain:\s*\S+\s+Submitter:\s*\S+"
)
AGGREGATE_REPORT_FILES = (
    r"^[^!\s/]+![^!\s/]+!\d{9,11}!\d{9,11}(?:![^.\s]*)?\.(?:xml|zip|gz|xml\.gz)$"
)
AUTO_REPLY_MARKS = (
    r"This is an automated response to your message|This is the only notification you "
    r"will receive while this person is away|Dies ist eine automatische Antwort auf Ihre "
    r"Nachricht|die einzige Benachrichtigung, die Sie empfangen werden|Ceci est une "
    r"r[ée]ponse automatique [àa] votre message|Esta es una respuesta autom[áa]tica a su "
    r"mensaje|"
    # Chinese responders (QQ Mail's "这是来自QQ邮箱的假期自动回复邮件", "这是一封自动回复
    # 邮件": "this is an automatic reply"), and acknowledgements that promise a
    # reply ("邮件已收到 ... 尽快回复", "Thanks for your letter. I'll write back as
    # soon as I can")
    r"这是[^\n。]{0,16}自动回复|這是[^\n。]{0,16}自動回覆|"
    r"(?:已(?:经)?收到(?:您|你)的(?:邮件|来信)|(?:邮件|来信)(?:我)?已(?:经)?收到)[^\n]{0,40}回复|"
    r"(?:您|你)的(?:邮件|来信|信件)(?:我)?已(?:经)?收到|"
    r"感谢您的来信|thanks? (?:you )?for your (?:e-?mail|letter|message)[.!,]? I(?:'ll| will) "
    r"(?:write back|reply|respond|get back to you) as soon as|"
    # (session 19) a no-reply address's automatic answer: "we cannot handle your message
    # because this is a no-reply e-mail address", "you have sent a message to a no-reply
    # address"
    r"\bthis\s+is\s+an?\s+no-?reply\s+(?:e-?mail\s+|mail\s+)?(?:address|mailbox)\b|"
    r"\byou\s+(?:have\s+)?(?:sent|replied)\s+(?:a\s+message\s+|an\s+e-?mail\s+|a\s+mail\s+)?to\s+an?\s+"
    r"no-?reply\s+(?:e-?mail\s+|mail\s+)?(?:address|mailbox)\b|"
    # an application's answer from an address that only collects replies or bounces ("This
    # address is used to collect replies and should not be used to directly contact us")
    # (session 22) a responder's other words: an away person "with limited access to
    # e-mail", a mailbox no one reads ("This mailbox is not monitored"), a help desk's
    # acknowledgement ("A support ticket has been created", "Your request has been
    # received and assigned ticket #123"). (Each written to open with a word it needs,
    # the "a support" before "ticket" left out, as it does not change whether a text
    # holds one: an alternative searched from an optional word, or gated by "read",
    # cost ~30 M instructions of a bounce folder's run.)
    r"\b(?:limited|no|restricted|intermittent)\s+access to\s+(?:my\s+)?"
    r"(?:e-?mails?|mail|messages)\b|\b(?:this|the)\s+(?:[\w-]+\s+)?(?:mailbox|inbox|address|"
    r"account)\s+is\s+(?:not|no\s+longer|un)\s?(?:actively\s+)?(?:monitored|attended)\b|"
    r"\b(?:ticket|case)(?:\s+(?:number\s+|"
    r"no\.?\s*)?#?[\w-]+)?\s+(?:has\s+been|was)\s+(?:created|opened|logged|raised)\b|"
    r"\bassigned\s+(?:the\s+)?(?:ticket|case)\s+(?:number|#|id)\b|"
    r"\b(?:this|the)\s+(?:e-?mail\s+)?address\s+is\s+(?:only\s+)?used\s+(?:to\s+collect|for)\s+"
    r"(?:replies|bounces)\b|\b(?:this|the)\s+(?:e-?mail\s+)?address\s+(?:should|must)\s+not\s+"
    r"be\s+used\s+to\s+(?:directly\s+)?contact\b"
)

BOUNCE_TEXT_OPENINGS = (
    r"^This is the mail system at host|^This message was created automatically by mail "
    r"delivery software|The following address\(es\) failed|addresses had permanent fatal "
    r"errors|Delivery (?:of your message )?to the following recipient(?:s|\(s\))? failed|"
    # Microsoft 365's NDR section for admins pasted alone ("Error Details" above
    # "Reported error: 550 ...", "DSN generated by:", "Remote server:")
    r"^Error Details[ \t]*\n[ \t]*Reported error:|"
    # (session 19) its banner above that, pasted from the HTML table as text ("Action
    # Required<tab>Recipient", "Action Required |   | Recipient")
    r"^Action Required[ \t|]+Recipient\b|"
    # mox's DSN text (queue/dsn.go: "Delivery has failed permanently for your
    # email to:", "Delivery has been delayed of your email to:")
    r"Delivery has (?:failed permanently for|been delayed of) your email to|"
    r"Delivery has failed to these "
    r"recipients|Your message to \S+ couldn't be delivered|"
    # (Microsoft 365's opening in the sender's language: German, French, Spanish,
    # Italian, Portuguese, Dutch)
    r"Ihre Nachricht an \S+ konnte nicht (?:zugestellt|(?:ü|ue)bermittelt) werden|"
    r"Votre message (?:à|a|pour) \S+ n'a pas pu (?:ê|e)tre (?:remis|distribu(?:é|e))|"
    r"No se pudo entregar (?:el|su) mensaje a \S+|Su mensaje (?:a|para) \S+ no se pudo entregar|"
    r"(?:Impossibile|Non (?:è|e) stato possibile) recapitare il messaggio a \S+|"
    r"(?:Sua|A sua) mensagem para \S+ n(?:ã|a)o (?:p(?:ô|o)de|pode) ser entregue|"
    r"Uw bericht aan \S+ (?:kan|kon) niet worden bezorgd|rejected your message to the "
    r"following e-?mail addresses|was undeliverable|unable to deliver your message|"
    r"could not\s+be\s+delivered to one or more (?:of its )?recipients|^Remote Server returned '|"
    # (Microsoft Mail's connector: "A mail delivery problem has been detected on
    # NET/PO ... Message was not delivered to <name>", KB Q138054)
    r"^A mail delivery problem has been detected on\b|"
    r"This is the qmail-send program at|The following recipient(?:\(s\)|s)? (?:cannot|could not) "
    r"be reached|did not reach (?:some or all (?:of )?)?the intended recipients?|"
    # (its angle brackets lost where the paste came from a rendered mail, which
    # takes "<x@y>" for a tag: "x@y (expanded from" / "    z@y: host ...")
    r"^<?[^<>\s@]+@[^<>\s:]+>?(?: \(expanded from\s+<?[^<>\s()]+>?\)?)?: (?:host\s|lost connection|"
    r"conversation with|connect to|Host or domain name not found|Domain \S+ does not accept)|"
    r"^(?:\*\* )?(?:Address not found|Delivery incomplete|Message not delivered|Message "
    r"blocked)(?: \*\*)?[ \t]*$|"
    r"(?:cannot|can't|could not|couldn't) be delivered to the following recipients?|"
    r"There was a (?:temporary )?problem (?:while )?delivering your message to|"
    # Gmail's older DSN ("Delivery to the following recipient has been
    # delayed", "Technical details of temporary failure:") and its relay
    # wording ("Google tried to deliver your message, but it was rejected")
    r"Delivery to the following recipients? has been delayed|Technical details of "
    r"(?:temporary|permanent) failure|Google tried to deliver your message|"
    # Gmail's heading above the remote reply, newer and older ("The response
    # from the remote server was:", "The error that the other server returned
    # was:"), pasted without the rest of its report
    r"^The (?:response from the remote server|error that the other server returned) was:|"
    # Postal's "Permanent SMTP delivery error when sending to host (ip)", the
    # remote reply on the next line
    r"^(?:Permanent|Temporary) SMTP delivery error when sending to|"
    # a Chinese provider's English report: "Unable to send to x", "Bounce
    # reason: ...", the remote reply, "Solution: ..."
    r"^Unable to send to \S+@\S+\s*$|^Bounce reason:|"
    r"Ihre Nachricht an \S+ konnte nicht zugestellt werden|"
    r"(?:É|E)chec de la remise pour ces destinataires|"
    r"Das Postfach des Empf(?:ä|ae)ngers ist voll|"
    r"La bo(?:î|i)te aux lettres du destinataire est pleine|"
    r"The recipient's mailbox is full and (?:can't|cannot) accept messages|"
    # SmarterMail ("Could not deliver message to the following recipient(s):",
    # then "Failed Recipient:" and "Reason:"); Alibaba Mail's Chinese report
    # ("退信原因 |" the reason, "远程响应 |" the remote server's reply); NetEase
    # (163/126: "抱歉，您的邮件被退回来了", then "出错原因："); since session 15 also
    # Yahoo's older report ("Unable to deliver message to the following address(es).").
    r"(?:could not|couldn't|cannot|unable to) deliver (?:the |your )?message to the following "
    r"(?:recipients?|address(?:\(es\)|es)?)|^[ \t]*退信原因\s*[|｜:：]|^远程响应\s*[|｜:：]|"
    r"您(?:发送)?的邮件被退回|^出错原因[:：]|"
    # Exim's per-address block pasted without its opening paragraph ("  x@y /
    # host h [ip] / SMTP error from remote mail server after RCPT TO:<x>: /
    # 550-5.1.1 ..."): a report's part, read as one, not line by line.
    r"^[ \t]*SMTP error from remote (?:mail server|mailer|host) after |"
    # old gateways' "Sorry. Your message could not be delivered to:" list, and
    # NHN Dooray's "Failure Notice" ("Your message sent to x has failed to be
    # delivered ... * Recipient : x ... * Remote host said : <reply>")
    r"Your message could not be delivered to:[ \t]*$|^\s*Your message sent to\s*$|"
    r"has failed to be delivered\.?[ \t]*$|"
    # MDaemon's "Permanent Delivery Failure" ("The attached message had PERMANENT
    # fatal delivery errors!" above its session transcript), forwarded by its user
    r"^The attached message had PERMANENT fatal delivery errors|"
    # (session 18) an anti-virus scanner's report to the sender ("The mail was not
    # delivered because it contained dangerous code", RAV AntiVirus): its verdict and
    # the infected file named on other lines, read as one report
    r"\b(?:mail|message|e-?mail) was not delivered because it contain(?:ed|s)\b|"
    # Russian reports: "Ваше письмо не может быть доставлено адресату x" ("your
    # letter cannot be delivered to the addressee x")
    r"письмо не (?:может\s+быть|было|могло\s+быть)\s+доставлено|"
    # DragonFly Mail Agent (dma: "This is the DragonFly Mail Agent v0.13 at h.",
    # "There was an error delivering your mail to <x>.") and Mimecast ("This is a
    # delivery failure notification message indicating that", "An email that you
    # attempted to send to the following address could not be delivered:")
    r"^This is the DragonFly Mail Agent\b|^There was an error delivering your mail to\b|"
    r"^This is a delivery failure notification message indicating that|"
    r"^An email that you attempted to send to the following address|"
    # (session 14) Postfix's report before 2.1 ("This is the Postfix program at host h.",
    # "the message returned below could not be delivered to one or more destinations");
    # qmail-send's report in another language, known by its own separator above the
    # returned message; Sun/Oracle Messaging Server's per-recipient block pasted alone
    # ("Recipient address: x", "Original address: y", "Reason: Over quota"); Outlook and
    # Exchange 2003's opening and recipient heading in Dutch, German, French and Spanish
    r"^This is the Postfix program at host\b|could not\s+be\s+delivered to one or more "
    r"destinations|--- Below this line is a copy of the message\.?[ \t]*$|"
    r"Recipient address:[ \t]*\S+@\S+[ \t]*\n(?:[ \t]*Original address:[^\n]*\n)?"
    r"[ \t]*Reason:|"
    r"Uw bericht heeft enkele of alle geadresseerden niet bereikt|"
    r"De volgende geadresseerde\(n\) zijn niet bereikt|"
    r"Ihre Nachricht hat einige oder alle Empf(?:ä|ae)nger nicht erreicht|"
    r"Votre message n'est pas parvenu (?:à|a) (?:tous les destinataires|certains)|"
    r"Su mensaje no lleg(?:ó|o) a (?:todos|algunos)|"
    # (the same) Forefront Online Protection's notices open with "This message was
    # created automatically by mail delivery software." in the reader's language
    # (Norwegian: "... av et e-postleveringsprogram", "... av programvare for e-postlevering")
    r"^Denne meldingen ble opprettet automatisk av (?:et e-postleveringsprogram|programvare "
    r"for e-postlevering)|"
    # (session 15) qmail-send's second sentence, which its forks and look-alikes keep
    # whatever their first line names (a host's page that redacts the program's name):
    # "I'm afraid I wasn't able to deliver your message to the following addresses."
    r"I'm afraid I wasn't able to deliver your message to the following addresses|"
    # (the same) Gmail's, Microsoft 365's and Exchange's reports in Estonian, as their
    # text parts read pasted alone: Gmail's "** Aadressi ei leitud **" ("Address not
    # found") and "Vastus kaugserverist oli järgmine:" ("The response from the remote
    # server was:"), Microsoft 365's "Teie sõnumit adressaadile x ei saanud kohale
    # toimetada." and "Tõrke üksikasjad / Teatatud tõrge:" ("Error Details / Reported
    # error:"), Exchange's "Kohaletoimetamine nendele adressaatidele või rühmadele nurjus"
    # ("Delivery has failed to these recipients or groups")
    r"^(?:\*\* )?Aadressi ei leitud(?: \*\*)?[ \t]*$|^Vastus kaugserverist oli j(?:ä|a)rgmine:|"
    r"Teie s(?:õ|o)numit adressaadile \S+ ei saanud kohale toimetada|"
    r"^T(?:õ|o)rke (?:ü|u)ksikasjad[ \t]*\n[ \t]*Teatatud t(?:õ|o)rge:|"
    r"Kohaletoimetamine nendele adressaatidele v(?:õ|o)i r(?:ü|u)hmadele nurjus"
)


# Exchange writes its NDR in the sender's language: the heading of the part
# for administrators (compiled case-insensitive by evidence/bounce.py) and of
# the quoted headers (case-insensitive, multi-line) in English, German,
# French, Spanish, Italian, Portuguese and Dutch (and, since session 15, the
# administrators' heading and the quoted headers' in Estonian).
MS_NDR_HEADINGS = (
    r"Diagnostic information for administrators|Diagnoseinformationen f(?:ü|ue)r Administratoren|"
    r"Informations de diagnostic pour les administrateurs|"
    r"Informaci(?:ó|o)n de diagn(?:ó|o)stico para administradores|"
    r"Informazioni di diagnostica per gli amministratori|"
    r"Informa(?:çõ|co)es de diagn(?:ó|o)stico para administradores|"
    r"Diagnostische gegevens voor beheerders|Diagnostikateave administraatorite jaoks"
)
MS_NDR_END = (
    r"^\s*(?:Original message headers|Urspr(?:ü|ue)ngliche Nachrichtenkopfzeilen|"
    r"En-t(?:ê|e)tes de message d'origine|Encabezados del mensaje original|"
    r"Intestazioni originali del messaggio|Cabeçalhos da mensagem original|"
    r"Oorspronkelijke berichtkoppen|S(?:õ|o)numi algp(?:ä|a)ised)"
)

# Subjects of delivery reports (compiled case-insensitive by evidence/bounce.py).
BOUNCE_SUBJECTS = (
    r"undeliver|returned mail|delivery (?:status|failure|failed|notification)|failure notice|"
    r"mail failure|failed mail|delivery report|DSN|message not delivered|"
    r"mail delivery|non[- ]?delivery|nondeliverable|could not be delivered|rejected|"
    r"Unzustellbar|Non remis|No se puede entregar|Non recapitabile|Kohaletoimetamatu|"
    r"delivery (?:problem|error)|warning: could not|DELIVERY FAILURE|bounce"
)


# A report's help section that lists common errors and what they mean (Bouygues'
# bilingual "----- Aide / Help ----- Messages d'erreur courants / Common error
# messages"): a glossary, not this failure's reason. Compiled case-insensitive,
# multi-line: the section from its heading to the next dashed heading.
HELP_GLOSSARY = (
    r"^-{3,}[^\n]*\n(?=[^\n]*\bcommon error messages\b)[^\n]*\n"
    r"(?:(?!-{3,})[^\n]*\n)*"
)

# (session 19) A Chinese provider's report ends each recipient's block with its canned
# advice ("解决建议：1.请联系收件方确认是否设置相关的拒收策略,或添加了黑名单等设置",
# "解决方案 | ...", "Solution: ..."): the causes to check, not this failure's reason.
# Compiled multi-line: the advice line itself.
REPORT_ADVICE = r"^[ \t]*(?:解决(?:建议|方案|办法)|Solution)[ \t]*[|｜:：][^\n]*$"


# Where a plain bounce starts quoting the message it returns (compiled
# case-insensitive, multi-line, by evidence/bounce.py); "Original Message
# Details" is Microsoft 365's table of the failed message, not the message.
ORIGINAL_MARKS = (
    r"^\s*+(?:-+ ?)?(?:Below this line is a copy of the message|"
    r"This is a copy of the message|Original message (?:headers|follows)|"
    r"The original message headers|Returned (?:Message|mail)|Original Message(?! Details)|"
    r"Unsent message below|Your message reads|Message header follows|"
    r"The text you sent follows|----- Unsent|Content-Type: message/rfc822)"
    r"|^(?:Received|Return-Path|DKIM-Signature|Message-ID|X-[\w-]+): "
)


BOUNCE_PATTERNS: tuple[TextPattern, ...] = (
    pattern(
        "bounce.recipient_filter",
        r"(?:are|is) not accepting mail from\b",
        _C.POLICY_REJECTION,
        "The recipient's own filter (a block or allow list) refuses mail from this sender.",
        "The recipient blocked the sender's address or accepts only listed senders; "
        "only the recipient can change that.",
        source="bounce",
    ),
    pattern(
        "bounce.no_answer",
        r"(?:recipient|remote|destination) (?:mail )?(?:server|host|computer) did not respond|"
        r"\bHost \S+ is not responding\b|not reachable within the allowed queue period|"
        r"connection to mail exchanger failed|can'?t connect to (?:the )?(?:remote )?host\b",
        _C.FIREWALL_BLOCK,
        "The sending server could not open a connection to the receiving host "
        "(no answer on port 25) during all its retries.",
        "The receiving host is down, or a firewall on either side drops port 25.",
        source="bounce",
        stage=_S.CONNECT,
    ),
    # Postfix's "Recipient address rejected:" is the prefix of any recipient
    # restriction (an access map's own text follows it); when that text is RFC
    # 3463's wording of another cause (a size limit, relaying, a mail system that
    # takes nothing), that cause decides, not a missing user (session 10:
    # DragonFly Mail Agent's reports quote such replies).
    pattern(
        "bounce.rcpt_restriction_size",
        r"Recipient address rejected:\s+(?:Message length exceeds administrative limit|"
        r"Message too (?:big|large) for system)",
        _C.MESSAGE_SIZE,
        "The receiving server refused the message for its size (its recipient restriction "
        "says so: RFC 3463's 5.2.3 or 5.3.4).",
        "Send a smaller message (attachments by link), or ask the receiver to raise the limit.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.rcpt_restriction_relay",
        r"Recipient address rejected:\s+(?:No relaying|Relay(?:ing)? (?:access )?denied|"
        r"Relaying (?:not (?:allowed|permitted)|denied))",
        _C.POLICY_REJECTION,
        "The receiving server does not relay for this recipient's domain: it is not a "
        "destination it accepts mail for.",
        "Check the recipient's domain and its MX; a server that should accept it lacks "
        "the domain in its accepted (relay) domains.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    # (session 14) A recipient restriction whose only words ask for a later retry:
    # greylisting's deferral (a policy service answering DEFER_IF_PERMIT), not a
    # missing user nor a server fault ("450 4.7.1 <a>: Recipient address rejected:
    # Please try again later!").
    pattern(
        "bounce.rcpt_restriction_retry",
        r"Recipient address rejected:\s+(?:Please\s+)?(?:try (?:again )?later|come back later)",
        _C.POLICY_REJECTION,
        "The receiving server deferred this recipient until a later attempt: greylisting "
        "(a first delivery from an unknown sender and address pair is told to come back).",
        "Nothing to fix if the sending server retries: the next attempt after a few minutes "
        "passes. A sender that never retries (a script, a bulk tool) loses the mail.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.rcpt_restriction_system",
        r"Recipient address rejected:\s+(?:System not accepting network messages|"
        r"Internal system error|Mailer error)",
        _C.SERVICE_UNAVAILABLE,
        "The receiving mail system refused for a fault or state of its own, not for "
        "anything about the recipient.",
        "The receiver's administrators must fix their system; send again later.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.server_busy",
        r"(?:recipient|remote|destination) server (?:is )?unavailable or busy",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server was unavailable or too busy to take the message.",
        "The receiving side is overloaded or in maintenance; the sender retries.",
        source="bounce",
    ),
    pattern(
        "bounce.directory_unknown",
        # phquery/CSO directories (universities), Lotus Domino, old gateways:
        # the name is not in the organisation's directory. "nameserver" here
        # is the ph directory server, not DNS.
        r"No matches to nameserver query|does not have a final (?:e-?mail )?delivery point|"
        r"did not (?:exactly )?match an? (?:\w+ )?e-?mail address|"
        r"adresse (?:de messagerie )?(?:r[ée]f[ée]renc[ée]e ci-dessus )?n'existe pas",
        _C.RECIPIENT,
        "The recipient's name is not in the receiving organisation's directory: no such mailbox.",
        "A typo in the address, or the person left.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.mailbox_quota",
        r"quota violation for|mail ?box space not enough|reached (?:its |his |her )?disk quota|"
        r"recipient reached disk quota",
        _C.RECIPIENT,
        "The recipient's mailbox is full (over its quota).",
        "The recipient must delete mail or get a larger quota.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    # (session 13) Exchange's store driver ("STOREDRV.Deliver: mailbox full",
    # "STOREDRV.Deliver.Exception:QuotaExceededException") writes into the mailbox
    # database after the recipient's Exchange accepted the message: the sender's SMTP
    # session had ended with a 250, no command of it was refused (as a full mailbox
    # in Postfix's local(8) delivery, session 12): no stage.
    pattern(
        "bounce.exchange_store_quota",
        r"STOREDRV\.Deliver\b[^\n]{0,40}?(?:mailbox full|QuotaExceeded)|"
        r"mailbox full;?\s+STOREDRV\.Deliver\b",
        _C.RECIPIENT,
        "The recipient's Exchange mailbox is full: its store refused the message after the "
        "server had accepted it.",
        "The recipient must delete mail or get a larger quota.",
        source="bounce",
        stage=_S.NONE,
    ),
    pattern(
        "bounce.message_looping",
        r"Message looping|looping message|received \d+ times",
        _C.OTHER,
        "The message went round in a loop between servers until one refused it.",
        "An MX record, forward or alias points back to a server that already handled it.",
        source="bounce",
        permanence=_PM,
        retry=False,
    ),
    # (session 20) A local delivery program that failed and said no more than its exit
    # status. Postfix's pipe_command() (local(8)'s "|command" and pipe(8)) reports a
    # command's sysexits status by global/sys_exits.c's text and status code ("can't
    # create user output file", 5.2.0; "temporary failure", 4.3.0) and the command's own
    # output after it; Sendmail's prog mailer writes libsm/strexit.c's text after the
    # program's address ('554 "|/usr/bin/procmail ..."... Service unavailable');
    # procmail, whose exit status is EX_CANTCREAT by default, writes its own failure
    # ("procmail: Lock failure on"; its "Error while writing to" a mailbox is left to the
    # save failures of wording.mailbox_save_failed's convention). The status code is the
    # exit status translated, not a mailbox's or a server's state (RFC 3463's X.2.0 and
    # X.3.0 read from it would blame the recipient or an outage); the contract names no
    # local delivery class. Only the forms where nothing else is said: a program whose
    # output names the cause ("maildir over quota", "Disk quota exceeded") is read by
    # those words (the sysexits texts of a missing user, a missing host and Sendmail's
    # "Insufficient permission", which quota scripts exit with, are left out).
    pattern(
        "bounce.local_program_failed",
        r"\bx-unix;\s*(?:command line usage error|data format error|cannot open input|"
        r"service unavailable|internal software error|system resource problem|"
        r"critical OS file missing|can't create user output file|input/output error|"
        r"temporary failure|remote error in protocol|local configuration error)\.?\s*$|"
        r"\bCommand died with (?:status|signal) \d+: \"[^\"\n]*\"\.?\s*$|"
        r"\"\|[^\"\n]{1,300}\"\.\.\. (?:Command line usage error|Data format error|"
        r"Cannot open input|Service unavailable|Internal error|Operating system error|"
        r"System file missing|Can't create output|I/O error|Remote protocol error|"
        r"Local configuration error)\b|"
        r"\bprocmail: (?:Lock failure on|Program failure \(\d+\) of|Failed forking)\b",
        _C.OTHER,
        "The receiving host's local delivery program (a pipe command, procmail or another "
        "mailbox writer) failed; the report gives its exit status and no cause beyond it.",
        "The program's own log on the receiving host says why: a mailbox lock or "
        "permission problem, a full disk, a broken filter script.",
        source="bounce",
        stage=_S.NONE,
    ),
    pattern(
        "bounce.directory_server",
        # The receiving side's own user directory is down (qmail-ldap's
        # "Unable to contact LDAP server (#4.4.3)"): X.4.3 is no DNS failure here.
        r"Unable to contact (?:the )?LDAP server|"
        r"LDAP (?:server|lookup) (?:failed|unavailable|error)",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server could not reach its own user directory (LDAP) to look up "
        "the recipient.",
        "An outage on the receiving side; the sender retries.",
        source="bounce",
    ),
    pattern(
        "bounce.spectrum_rate",
        # Spectrum/Charter's Cloudmark AUP codes 1310-1340 are rate limits
        # (Spectrum's "Understanding email error codes"; suped.com's notes on
        # AUP#In-1340 and AUP#1310/1320/1330).
        r"\bAUP#\s?I[Nn]?-13[1-4]0\b",
        _C.RATE_LIMITED,
        "Spectrum (Charter) throttles this sender: too many connections or messages "
        "for its reputation (AUP code 1310-1340).",
        "Lower the concurrency and rate towards Spectrum; give the IP a rest.",
        source="bounce",
    ),
    pattern(
        "bounce.bare_rejected",
        # A reply that says only "Rejected" ("542 user@example.com Rejected"):
        # a refusal that names no missing user, no size, no outage.
        r"^(?:(?:Reason|Diagnostic-Code):\s*(?:smtp;\s*)?)?[45]\d\d[ -](?:[45]\.\d{1,3}\.\d{1,3} )?"
        r"(?:<?[\w.+=/'-]+@[\w.-]+>? )?Rejected\.?$",
        _C.POLICY_REJECTION,
        "The receiving server refused the message without saying why: a policy decision.",
        "Ask the receiving side's postmaster which rule refused it (reputation, content, sender).",
        source="bounce",
        specific=False,
    ),
    pattern(
        "bounce.posting_limit",
        # Google Groups: "You have exceeded the the allowable number of posts
        # without solving a captcha."
        r"exceeded the (?:the )?allowable number of (?:posts|messages)",
        _C.RATE_LIMITED,
        "The receiving service limits how many messages this sender may post.",
        "Send fewer messages, or complete the service's verification step.",
        source="bounce",
    ),
    pattern(
        "bounce.sms_gateway_restricted",
        # Carriers' e-mail-to-SMS gateways: the subscriber turned e-mail off.
        r"has restricted (?:SMS )?e-?mail|"
        r"(?:SMS|text message) e-?mail (?:is )?(?:blocked|restricted)",
        _C.POLICY_REJECTION,
        "The recipient's phone plan or setting refuses e-mail to its SMS address.",
        "Only the subscriber can allow e-mail to SMS again.",
        source="bounce",
    ),
    pattern(
        "bounce.x400_expired",
        # An X.400 gateway's non-delivery diagnostic: the time limit ran out
        # ("Message timed out" there is the queue's limit, not a network timeout).
        r"Maximum-Time-Expired|Unable to transfer, Message timed out",
        _C.OTHER,
        "The gateway gave up after its time limit; the report does not say why "
        "delivery failed until then.",
        "The cause is the error of the earlier attempts, in the gateway's logs.",
        source="bounce",
        permanence=_PM,
        retry=False,
    ),
    pattern(
        "bounce.sender_domain_unresolvable",
        # Yahoo: "451 Message temporarily deferred due to unresolvable RFC.5321
        # from domain": the envelope sender's domain has no A/MX record.
        r"unresolvable (?:RFC\.?5321 )?(?:from|sender|mail from) domain",
        _C.DNS_RESOLUTION,
        "The receiving server could not resolve the domain of the envelope sender "
        "(MAIL FROM): it has no MX or A record it can find.",
        "Publish an MX or A record for the sender's domain, or send from a domain that has one.",
        source="bounce",
    ),
    pattern(
        "bounce.unauthorized_sender",
        # Apple's private relay and other forwarders that accept mail only from
        # senders registered with them, whatever code they put beside it (5.1.1).
        r"\bunauthori[sz]ed sender\b",
        _C.POLICY_REJECTION,
        "The receiving service accepts mail for this address only from senders it knows "
        "(a relay or forwarder's allow list): this sender is not one.",
        "Register the sending address or domain with the relay service, or send from one it knows.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.mailbox_disabled",
        # Yahoo "This mailbox is disabled (554.30)", Alibaba "RCPT (x) dosn't exist"
        # (its own spelling), mail.ru "account is disabled".
        r"\b(?:this |the )?(?:mailbox|account) is disabled\b|"
        r"\bRCPT \([^()\s]+\) do(?:e)?sn'?t exist",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist or was disabled.",
        "Remove the address from the list, or reach the recipient another way.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.sendmail_summary",
        # Sendmail ends a transcript with its own summary of a refusal
        # ("554 5.0.0 Service unavailable" after "<<< 554 IP=... (BL)"): the
        # remote reply above it says why; the summary says nothing more.
        r"(?m)^[45]\d\d [45]\.0\.0 Service unavailable$",
        _C.OTHER,
        "Sendmail's own summary of a refusal by the remote server; the remote reply "
        "quoted in the transcript says why.",
        source="bounce",
        specific=False,
    ),
    pattern(
        "bounce.invalid_address_in_message",
        # A site's canned failure reply ("The message contained at least one
        # invalid address in the @example.edu domain"): a recipient that does
        # not exist there, named by the domain only.
        r"\b(?:contained|contains|included|includes) (?:at least one|one or more|an) invalid "
        r"(?:e-?mail )?address",
        _C.RECIPIENT,
        "At least one recipient address does not exist at the receiving site.",
        "Check the recipients' addresses for typos or accounts that were closed.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.m365_recipient_not_found",
        # Microsoft 365's per-recipient sentence ("jdoe wasn't found at
        # contoso.com.", German "jdoe wurde nicht in contoso.com gefunden."):
        # no such mailbox, not a domain that does not resolve.
        r"\b\S+ wasn'?t found at \S+|\b\S+ wurde nicht in \S+ gefunden|"
        # (the same sentence in the sender's language: German "x wurde bei y nicht
        # gefunden", French "x est introuvable sur y" / "Impossible de trouver x sur
        # y", Spanish "No se encontró x en y", Italian "Impossibile trovare x in y" /
        # "x non è stato trovato in y", Portuguese "x não foi encontrado em y", Dutch
        # "x is niet gevonden in y")
        r"\b\S+ wurde (?:bei|in|unter) \S+ nicht gefunden|"
        r"\b\S+ (?:est )?introuvable (?:sur|dans|chez) \S+|"
        r"\bImpossible de trouver \S+ (?:sur|dans|chez) \S+|"
        r"\bNo se (?:encontr(?:ó|o)|ha encontrado|pudo encontrar) \S+ en \S+|"
        r"\bImpossibile trovare \S+ in \S+|\b\S+ non (?:è|e) stato trovato in \S+|"
        r"\b\S+ n(?:ã|a)o foi encontrad[oa] em \S+|"
        r"\b\S+ (?:is|werd) niet gevonden (?:in|bij|op) \S+",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist at the receiving organisation (Microsoft 365).",
        "A typo in the address, or the mailbox was removed.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.exchange_address_not_found",
        # Exchange 2007-2016's sentence for its users above the part for
        # administrators (5.1.1, RESOLVER.ADR.RecipNotFound): "The e-mail address
        # you entered couldn't be found. Please check the recipient's e-mail
        # address ...", or "... was not found in the recipient's e-mail system";
        # pasted alone, the heading and this sentence are all a user has.
        r"(?:e-?mail )?address you entered (?:couldn'?t|could not|can'?t|cannot) be found|"
        r"recipient's e-?mail address was not found in the recipient's e-?mail system",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist at the receiving organisation (Exchange).",
        "A typo in the address, or the mailbox was removed.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.check_addressees",
        # A report that says nothing but asks the sender to check the addresses
        # (Prodigy's "Return to Sender": "Check these Addressees for accuracy ...
        # Only current, valid IDs ... can get messages"): weak, so a code or a
        # stated reason decides where there is one.
        r"\bcheck (?:these|the|this|your) (?:addressees?|(?:recipients?'?s? )?(?:e-?mail )?"
        r"address(?:es)?) for (?:accuracy|typos|errors|mistakes)\b|"
        r"\bonly (?:current,? )?valid (?:IDs|addresses|users)\b[^.]{0,40}? can (?:get|receive) "
        r"(?:messages|mail)\b",
        _C.RECIPIENT,
        "The report says the address is not one the receiving system knows.",
        "A typo in the address, or an address that no longer exists.",
        source="bounce",
        hint=_S.RCPT_TO,
        specific=False,
    ),
    pattern(
        "bounce.x400_mts_congestion",
        # Exchange 4.0-5.5's sentence for the X.400 non-delivery diagnostic
        # mts-congestion (Microsoft KB Q174175's code 2, Q230497: "The recipient
        # could not be processed due to congestion in the message transfer
        # service"; its event log says "diagnostic code MTS-congestion").
        r"congestion in the message transfer (?:service|system)|\bMTS-congestion\b",
        _C.SERVICE_UNAVAILABLE,
        "The sending side's message transfer agent could not pass the message on: the "
        "next MTA stayed unreachable or overloaded for too long (X.400 mts-congestion).",
        "A remote MTA or the link to it down for an extended period; check the connector's "
        "queue and the remote MTA.",
        source="bounce",
        retry=True,
    ),
    pattern(
        "bounce.x400_recipient_address",
        # Exchange 4.0-5.5's (and MS Mail's) sentences for the X.400 non-delivery
        # diagnostics on the recipient's O/R address (KB Q145585, Q247080, Q156710,
        # Q126792): unrecognized or invalid address, invalid arguments, no address.
        r"recipient postal address was (?:incorrect|not known)|"
        r"recipient specified in the recipient postal address was not known|"
        r"arguments in the recipient (?:was|were) detected as being invalid|"
        r"recipient has been deleted or has no e-?mail address",
        _C.RECIPIENT,
        "The receiving system does not know the recipient's address (an X.400 "
        "non-delivery diagnostic: unrecognized or invalid O/R address).",
        "A typo in the address, a stale address-book entry, or a mailbox that was removed.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.x400_restriction",
        # Exchange 4.0-5.5's sentences for a delivery restriction (KB Q241632,
        # Q250521, Q246274): the recipient's "Accept messages from" list or a
        # restriction on the sender refused the message (RFC 3463's 5.7.1).
        r"a restriction in the system prevented delivery|"
        r"originator does not have permission to submit",
        _C.POLICY_REJECTION,
        "A delivery restriction refused the message: the recipient accepts mail only from "
        "some senders, or the sender may not send to it.",
        "Ask the recipient's administrator to allow this sender, or check the sender's own "
        "sending restrictions.",
        source="bounce",
    ),
    pattern(
        "bounce.spam_score_points",
        # A refusal that gives the content filter's score ("550 This message scored
        # 10.3 points", SourceForge's SpamAssassin gate; "... scored 7 spam points"):
        # a score is taken over the whole message, so the refusal is of the message,
        # after its data, whatever command the report names or leaves out.
        r"\b(?:message|mail|e-?mail) (?:has )?scored [0-9]+(?:\.[0-9]+)? (?:spam )?points?\b",
        _C.POLICY_REJECTION,
        "The receiving server's content filter scored the message as spam and refused it.",
        "Words, links or headers in the message that spam filters score; a missing DKIM "
        "signature or a listed link domain adds to the score.",
        source="bounce",
        hint=_S.MESSAGE,
    ),
    pattern(
        "bounce.m365_no_response",
        # Microsoft 365: "Despite repeated attempts to contact the recipient's
        # email system it didn't respond ... isn't accepting connection requests".
        r"recipient's e-?mail system (?:it )?didn'?t respond|"
        r"isn'?t accepting connection requests from your e-?mail system",
        _C.FIREWALL_BLOCK,
        "Microsoft 365 could not open a connection to the recipient's mail server during "
        "all its retries.",
        "The receiving host is down, or a firewall in front of it drops port 25.",
        source="bounce",
        stage=_S.CONNECT,
    ),
    pattern(
        "bounce.m365_group_restriction",
        # Microsoft's delivery restrictions (its NDR reference: 5.7.133 to 5.7.136,
        # RESOLVER.RST.*): a group or mailbox accepts mail only from
        # authenticated or listed senders. The "authentication required" beside
        # it is that rule, not an SMTP AUTH failure of the sender's client.
        r"RESOLVER\.RST\.(?:SenderNotAuthenticatedFor\w+|NotAuthorized|AuthRequired|"
        r"RestrictedTo\w+)|\b5\.7\.13[3-6]\b|"
        # (session 19) the NDR's sentence for them: "The group x only accepts messages
        # from people in its organization or on its allowed senders list"
        r"\bonly accepts messages from people (?:in|within|inside) its organi[sz]ation\b",
        _C.POLICY_REJECTION,
        "The recipient (a group, mailbox or public folder) accepts mail only from senders "
        "inside the organisation or on its allowed list.",
        "Ask the group's owner to allow external senders, or to add this sender.",
        source="bounce",
    ),
    pattern(
        "bounce.remote_internal_error",
        # "500 Internal Server Error", "451 Internal error": the receiving
        # server reports its own fault, whatever the code's class says.
        r"\b[45]\d\d[ -](?:[45]\.\d\.\d{1,3} )?Internal (?:server )?error\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server failed on its side (an internal error) while taking the message.",
        "An outage or bug on the receiving side; only its operator can fix it.",
        source="bounce",
    ),
    pattern(
        "bounce.m365_mailbox_full",
        # Microsoft 365's per-recipient sentence for a full mailbox, in the
        # sender's language (English, German, French as users pasted them).
        r"recipient's mailbox is full and (?:can't|cannot) accept messages|"
        r"Postfach des Empf(?:ä|ae)ngers ist voll|"
        r"bo(?:î|i)te aux lettres du destinataire est pleine",
        _C.RECIPIENT,
        "The recipient's mailbox is full (over its quota).",
        "The recipient must delete mail or get a larger quota.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.from_header_invalid",
        # QQ "550 The \"From\" header is missing or invalid. Please follow RFC5322",
        # Gmail "Messages missing a valid address in From: header ... are not
        # accepted": the message's own From: header, refused with the content.
        r"\bFrom\"? header is (?:missing or )?invalid|"
        r"missing a valid address in From:? header|"
        r"From:? header (?:is )?(?:missing|not RFC ?5322)",
        _C.POLICY_REJECTION,
        "The receiving server refused the message because its From: header is missing or "
        "not a valid address (RFC 5322 requires exactly one).",
        "Make the application set a From: header with one valid address of the sending domain.",
        source="bounce",
        stage=_S.MESSAGE,
    ),
    pattern(
        "bounce.netease_content_spam",
        # NetEase (163/126) in Chinese: "该邮件内容涉嫌大量群发，并且被多数用户投诉为
        # 垃圾邮件" (the content looks like bulk mail users reported as spam).
        r"邮件内容涉嫌|被多数用户投诉为垃圾邮件",
        _C.POLICY_REJECTION,
        "The receiving provider's filter took the message's content for bulk mail that its "
        "users report as spam.",
        "Change the subject and content (repeated texts are fingerprinted), send fewer copies.",
        source="bounce",
        stage=_S.MESSAGE,
    ),
    pattern(
        "bounce.dnsbl_listed_by",
        # A DNS blocklist named by its zone and list ("550 zen.spamhaus.org
        # Listed by CSS", "... Listed by PBL"): the sending IP is listed, the
        # recipient is not at fault whatever the bare 550 suggests.
        r"\bListed by (?:CSS|SBL|XBL|PBL|DBL|SBL-XBL)\b|"
        r"\b(?:zen|sbl|xbl|pbl|sbl-xbl)\.[\w-]+(?:\.[\w-]+)+ Listed by\b",
        _C.POLICY_REJECTION,
        "The sending IP address is on a DNS blocklist (Spamhaus ZEN: CSS, SBL, XBL, PBL) "
        "that the receiving server consults.",
        "Look the IP up on the blocklist's site, fix the cause (a compromised host, a dynamic "
        "range, a snowshoe pattern) and request delisting.",
        source="bounce",
    ),
    pattern(
        "bounce.denied_by_receiver",
        # NHN Dooray's report of the remote refusal: "Your mail was denied from
        # the receiver." (no reason given beyond the refusal itself)
        r"\b(?:mail|message) was denied (?:from|by) the (?:receiver|recipient)\b",
        _C.POLICY_REJECTION,
        "The receiving side refused the message; the report gives no more reason.",
        "Ask the recipient (or their postmaster) why the mail is refused, or use another address.",
        source="bounce",
    ),
    pattern(
        "bounce.name_not_found_remote",
        # cc:Mail-era gateways: "jrodd,PBS (The name was not found at the remote
        # site. Check that the name has been entered correctly.)"
        r"\bname was not found at the remote site\b",
        _C.RECIPIENT,
        "The recipient's name does not exist at the receiving site.",
        "Check the recipient's address for typos.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.gmail_address_not_found",
        # Gmail's "Address not found" sentence pasted without the remote reply:
        # "Your message wasn't delivered to x@y because the address couldn't be
        # found, or is unable to receive mail." (the domain's own sentence above).
        r"wasn't delivered to \S+ because the address couldn't be found",
        _C.RECIPIENT,
        "The recipient's mailbox does not exist or cannot receive mail (Gmail's report).",
        "Check the address for typos, or ask the recipient for a working one.",
        source="bounce",
        hint=_S.RCPT_TO,
    ),
    pattern(
        "bounce.gmail_domain_not_found",
        # Gmail's "Address not found" when the domain, not the mailbox, is
        # missing: "Your message wasn't delivered to x@y because the domain y
        # couldn't be found" (its heading alone reads as a missing mailbox).
        r"wasn't delivered to \S+ because the domain \S+ couldn't be found",
        _C.DNS_RESOLUTION,
        "The recipient's domain does not resolve: Gmail found no MX or address record for it.",
        "Check the domain for a typo; if it is yours, publish its MX records.",
        source="bounce",
        stage=_S.DNS,
        permanence=_PM,
    ),
    pattern(
        "bounce.gmail_read_error",
        # Gmail's DSN names its own internal status for a connection that
        # broke while it read the reply ("read error: generic::failed_precondition:
        # read error (0): error").
        r"\bread error: generic::\w+",
        _C.CONNECTION_DROPPED,
        "The connection to the receiving server broke while Gmail waited for its reply.",
        "The receiving server or a device in front of it closed the session (overload, a "
        "filter, a TLS problem); Gmail retries.",
        source="bounce",
    ),
    pattern(
        "bounce.recipient_account_blocked",
        # La Poste's "550 5.5.0 Le compte du destinataire est bloque. The
        # recipient account is blocked. LPN007_426": the mailbox is locked or
        # disabled; the generic 5.5.0 beside it says nothing of that.
        r"\brecipient(?:'s)?\s+account\s+is\s+(?:blocked|disabled|suspended|locked)\b|"
        r"\ble\s+compte\s+du\s+destinataire\s+est\s+(?:bloqu|d[ée]sactiv|suspendu)",
        _C.RECIPIENT,
        "The recipient's mailbox is blocked or disabled by its provider.",
        "The account was locked (abuse, inactivity, unpaid); only the recipient can have it "
        "reopened. Use another address meanwhile.",
        source="bounce",
        hint=_S.RCPT_TO,
        permanence=_PM,
    ),
    pattern(
        "bounce.recipient_could_not_be_found",
        # "[2511] Recipient could not be found" (ProtonMail's API, relayed by
        # hydroxide under a generic "5.0.0 Error: transaction failed").
        r"\brecipient\s+(?:could|can)\s*not\s+be\s+found\b",
        _C.RECIPIENT,
        "The receiving system does not know the recipient address.",
        "Check the address for a typo; the account may have been deleted.",
        source="bounce",
        hint=_S.RCPT_TO,
        permanence=_PM,
    ),
    pattern(
        "bounce.no_mx_host_found",
        # A Java mailer's exception in a DSN's Diagnostic-Code (Purelymail:
        # "error; NoMxHostFoundException: null"): no MX host for the domain.
        r"\bNoMxHostFound(?:Exception)?\b",
        _C.DNS_RESOLUTION,
        "DNS gave no mail exchanger for the recipient's domain.",
        "Check the domain's MX records (or that it has an address to fall back to).",
        source="bounce",
        stage=_S.DNS,
        permanence=_PM,
    ),
    pattern(
        "bounce.no_attachments",
        # AOL's "... could not be delivered because they are not accepting mail
        # with attachments or embedded images": the recipient's content setting,
        # not a server that takes no mail.
        r"\bnot accepting (?:e-?)?mail (?:with|containing) "
        r"(?:attachments|embedded images|images)\b",
        _C.POLICY_REJECTION,
        "The recipient accepts no mail with attachments or embedded images.",
        "Send the message without attachments or images (a link instead).",
        source="bounce",
        stage=_S.MESSAGE,
        permanence=_PM,
    ),
    pattern(
        "bounce.attachment_type_blocked",
        # A content gateway's notice (Proofpoint's "was NOT sent to the recipient,
        # because it contains an "Executable Attachment" file type that is currently
        # being blocked"): the file type of an attachment, not the sender or the
        # address, stopped the message.
        r"\bcontains? an? [\"'\u201c]?(?:executable|blocked|prohibited|forbidden|restricted|"
        r"dangerous|unsafe) attachment\b|\battachment[\"'\u201d]? file type (?:that )?is "
        r"(?:currently )?(?:being )?blocked\b|"
        r"\bfile type (?:that )?is (?:currently )?being blocked\b",
        _C.POLICY_REJECTION,
        "A content filter stopped the message because of the type of a file attached to it "
        "(an executable or another blocked type).",
        "Send the file another way (a link, or packed in a type the filter lets through), "
        "or ask the recipient's administrator to allow it.",
        source="bounce",
        stage=_S.MESSAGE,
        permanence=_PM,
    ),
    pattern(
        "bounce.challenge_response",
        # The notice of a challenge-response filter (CHALLENGE_MARKS): the mail is
        # held, not refused in the session, until the sender confirms.
        CHALLENGE_MARKS,
        _C.POLICY_REJECTION,
        "The recipient's challenge-response filter holds the message until the sender "
        "confirms being a person (a link or a reply).",
        "Answer the challenge once, or ask the recipient to add the sender to the allowed list.",
        source="bounce",
        hint=_S.NONE,
    ),
    pattern(
        "bounce.vpopmail_write_failed",
        # vpopmail's catch-all ("user does not exist, but will deliver to
        # /home/vpopmail/domains/x/y/") that then "can not open new email file
        # errno=2 ... system error": the receiving host's own delivery failed.
        r"\bcan ?not open new email file\b",
        _C.SERVICE_UNAVAILABLE,
        "The receiving server accepted the mail but could not write it to the mailbox "
        "(a local delivery error).",
        "The receiving host's mailbox path or disk; its postmaster has to fix it.",
        source="bounce",
    ),
    pattern(
        "bounce.local_delivery_only",
        # Debian's exim4 set up for "local delivery only" (its router fails
        # every remote address: "Mailing to remote domains not supported"):
        # the sending host's own configuration, no SMTP session took place.
        r"\bMailing to remote domains not supported\b",
        _C.POLICY_REJECTION,
        "The sending mail server is configured for local delivery only and refuses "
        "every address in another domain.",
        "Reconfigure it to send mail out (dpkg-reconfigure exim4-config: an internet "
        "site, or mail sent by a smarthost).",
        source="bounce",
        permanence=_PM,
    ),
    pattern(
        "bounce.mail_system_error",
        # A receiving system's own notice that it failed inside (Gromox's local
        # delivery: "some error occurred in our mail system, your message to x cannot
        # be delivered"; its Japanese template: "システムエラーがあったため").
        r"\berror (?:has )?occurr?(?:ed|s) in (?:our|the|its) mail system\b|システムエラー",
        _C.SERVICE_UNAVAILABLE,
        "The receiving mail system failed internally and could not deliver the message.",
        "A fault on the receiving side (storage, a crashed service); its administrator has "
        "to fix it, then the mail can be sent again.",
        source="bounce",
    ),
    pattern(
        "bounce.refused_no_reason",
        # A refusal that says only that there was a reason ("has been refused by some
        # reason", "refused for an unknown reason").
        r"\brefused (?:by|for|because of) (?:some|an unknown|unknown|other) reasons?\b",
        _C.POLICY_REJECTION,
        "The receiving system refused the message and gives no reason.",
        "Ask the recipient's postmaster which rule refused it.",
        source="bounce",
    ),
    pattern(
        "bounce.list_posting_restricted",
        # A mailing list that takes posts only from its members, its own domain or
        # listed senders (Gromox's "You have not enough privilege to send mail to mail
        # list x, this mail list can only accept mails internal the domain").
        r"\b(?:not enough|insufficient|no) privileges? to (?:send|post)\b[^.\n]{0,40}?"
        r"\b(?:mail(?:ing)? ?list|list|group)\b|"
        # (session 22, bounces5: the list or group named before it, as Microsoft 365's "The
        # group x only accepts messages from people in its organization")
        r"\b(?:mail(?:ing)? ?list|list|group)(?: \S+)? (?:can )?only accepts? "
        r"(?:e-?mails?|mails?|messages?|posts?)\b",
        _C.POLICY_REJECTION,
        "The mailing list takes posts only from its members, its own domain or listed "
        "senders, and this sender is none of them.",
        "Post from a subscribed address, or ask the list's owner to allow this sender.",
        source="bounce",
    ),
    pattern(
        "bounce.cpanel_cannot_route",
        # cPanel's Exim says of an address its routers cannot route (its own
        # outgoing mail, or a recipient it is asked to take): "The mail server
        # could not deliver mail to x@y.  The account or domain may not exist,
        # they may be blacklisted, or missing the proper dns entries." The
        # address named has no account or no routable domain; "blacklisted" is
        # one of the possibilities it lists, not a block list's answer. When the
        # address is the sender's ("Sender verify failed") the sender check wins.
        r"could not deliver mail to \S+\s+The\s+account\s+(?:\d{3}[- ])?or\s+domain\s+"
        r"(?:\d{3}[- ])?may\s+not\s+exist\b(?![\s\S]{0,300}\bsender\s+verif)",
        _C.RECIPIENT,
        "The address cannot be routed: its account or its domain does not exist "
        "(cPanel's Exim says so for an address no router takes).",
        "Check the address and its domain for a typo; if the domain is right, check "
        "that it publishes MX records and that the account exists.",
        source="bounce",
        hint=_S.RCPT_TO,
        permanence=_PM,
    ),
)
