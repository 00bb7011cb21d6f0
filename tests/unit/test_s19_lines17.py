"""Session 19's lines17 classes (docs/explain.md, "Session 19: lines17"), on texts written
for the purpose: a provider's refusal of a client IP that is not on its allow list, an
unusual volume of unwanted mail from the sender's IP, a recipient receiving mail too fast,
TLS demanded, a service or protocol not available, and encryption demanded for the login,
each in the languages providers and clients write them in; and the readings these rules
must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify

# (text, category, stage) of each class case; they fail on the tree before the rules.
CLASSES = [
    # The client's IP is not on the receiving domain's allow list: a refusal of the
    # client itself, which states no stage.
    (
        "L'IP 192.0.2.7 non è nell'elenco degli IP autorizzati per questo dominio. "
        "Chiusura connessione",
        "policy_rejection",
        "none",
    ),
    (
        "送信元の IP アドレスが許可リストに登録されていません。接続を閉じます。",
        "policy_rejection",
        "none",
    ),
    ("421 IP 192.0.2.7 nicht auf der Zulassungsliste der Domain", "policy_rejection", "none"),
    (
        "L'adresse IP 192.0.2.7 n'est pas dans la liste des IP autorisées, fermeture de la "
        "connexion",
        "policy_rejection",
        "none",
    ),
    (
        "La IP 192.0.2.7 no está en la lista de IP autorizadas del dominio",
        "policy_rejection",
        "none",
    ),
    # An unusual volume of unwanted mail seen from the sender's IP, held back for now.
    (
        "421 4.7.0 Abbiamo rilevato una percentuale insolita di email indesiderate dal tuo IP",
        "rate_limited",
        "none",
    ),
    (
        "421 4.7.0 このIPアドレスから大量の迷惑メールが送信されているため一時的に制限しています",
        "rate_limited",
        "none",
    ),
    (
        "421 4.7.0 Nous avons détecté un volume inhabituel de messages non sollicités "
        "provenant de votre adresse IP",
        "rate_limited",
        "none",
    ),
    (
        "421 4.7.0 Se detectó una cantidad inusual de correo no deseado desde su IP",
        "rate_limited",
        "none",
    ),
    # The recipient receives mail faster than the provider allows.
    (
        "450 4.2.1 Il destinatario sta ricevendo posta troppo velocemente, riprova più tardi",
        "rate_limited",
        "none",
    ),
    (
        "450 4.2.1 受信者は速いペースで受信しています。時間をおいて再送してください。",
        "rate_limited",
        "none",
    ),
    (
        "450 4.2.1 Le destinataire reçoit des messages trop rapidement, réessayez plus tard",
        "rate_limited",
        "none",
    ),
    # TLS (or encryption) demanded before the mail is taken.
    ("530 5.7.0 Crittografia TLS obbligatoria per questo server", "starttls_unavailable", "none"),
    ("530 5.7.0 この宛先ドメインには TLS 接続が必要です", "starttls_unavailable", "none"),
    ("530 5.7.0 Le chiffrement TLS est obligatoire sur ce serveur", "starttls_unavailable", "none"),
    ("530 5.7.0 Se requiere cifrado TLS para este dominio", "starttls_unavailable", "none"),
    # A service or protocol said to be unavailable, in a client's or server's own words.
    ("Usługa SMTP jest chwilowo niedostępna.", "service_unavailable", "none"),
    ("Serwer nie jest dostępny.", "service_unavailable", "none"),
    # ... and it leaves the greeting its reply was to ("response to the greeting").
    (
        "Błąd odpowiedzi na powitanie: usługa chwilowo niedostępna",
        "service_unavailable",
        "greeting",
    ),
    # "Authentication (is) required": a login not done states no stage (as the English).
    ("530 5.7.0 Authentifizierung erforderlich", "authentication", "none"),
    ("530 Se requiere autenticación", "authentication", "none"),
    ("530 Authentification requise", "authentication", "none"),
    ("530 5.7.0 Autenticazione richiesta", "authentication", "none"),
    # Encryption demanded for the login: RFC 4954's 538, in a client's own words.
    (
        "Błąd SMTP: szyfrowanie jest wymagane do zalogowania na tym serwerze",
        "starttls_unavailable",
        "auth",
    ),
    (
        "Le chiffrement est requis pour l'authentification sur ce serveur",
        "starttls_unavailable",
        "auth",
    ),
]

# Readings the rules must not move (each read so on the tree before them).
KEPT = [
    (
        "421 4.7.0 IP not in whitelist for RCPT domain, closing connection. - gsmtp",
        "policy_rejection",
        "none",
    ),
    (
        "421 4.7.0 TLS required for RCPT domain, closing connection. - gsmtp",
        "starttls_unavailable",
        "none",
    ),
    (
        "450 4.2.1 The user you are trying to contact is receiving mail too quickly. Please "
        "resend your message at a later time. - gsmtp",
        "rate_limited",
        "none",
    ),
    ("550 5.7.1 Messaggio rifiutato come spam", "policy_rejection", "message"),
    ("554 5.7.1 迷惑メールとして拒否されました", "policy_rejection", "none"),
    ("552 5.2.2 La casella di posta è piena", "recipient", "rcpt_to"),
    ("421 Trop de connexions, veuillez vérifier votre configuration", "rate_limited", "none"),
    ("535 5.7.8 Authentifizierung fehlgeschlagen", "authentication", "auth"),
    (
        "538 5.7.11 Encryption required for requested authentication mechanism",
        "starttls_unavailable",
        "auth",
    ),
]


@pytest.mark.parametrize(("text", "category", "stage"), CLASSES)
def test_class(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched


@pytest.mark.parametrize(("text", "category", "stage"), KEPT)
def test_kept(text: str, category: str, stage: str) -> None:
    c = classify(text)
    assert (c.category.value, c.stage.value) == (category, stage), c.matched
