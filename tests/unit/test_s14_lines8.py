"""Session 14's lines8 classes (docs/explain.md, "Session 14: lines8"), on texts
written for the purpose: a mail client's own words, in languages other than English,
for an outgoing (SMTP) server it could not find, reach, keep or hear from, a login
method refused and STARTTLS not offered; and readings these rules must not move."""

from __future__ import annotations

import pytest

from smtpdoctor.diagnosis.classifier import classify


@pytest.mark.parametrize(
    ("text", "category", "stage"),
    [
        # The server's name unknown (Greek, Serbian, Croatian).
        ("Ο διακομιστής mail.example.org είναι άγνωστος.", "dns_resolution", "dns"),
        ("Сервер mail.example.org је непознат.", "dns_resolution", "dns"),
        ("Poslužitelj mail.example.org je nepoznat.", "dns_resolution", "dns"),
        # The connection refused or failed (Hebrew, Serbian, Georgian, Greek).
        ("החיבור לשרת mail.example.org נכשל.", "firewall_block", "connect"),
        ("Повезивање на сервер mail.example.org није успело.", "firewall_block", "connect"),
        ("სერვერთან დაკავშირება ვერ მოხერხდა.", "firewall_block", "connect"),
        ("Η σύνδεση με τον mail.example.org απέτυχε.", "firewall_block", "connect"),
        # The connection broken off (Hebrew, Croatian, Slovak, Czech).
        ("החיבור לשרת mail.example.org נקטע.", "connection_dropped", "none"),
        ("Veza s poslužiteljem mail.example.org je prekinuta.", "connection_dropped", "none"),
        ("Pripojenie k serveru mail.example.org bolo prerušené.", "connection_dropped", "none"),
        ("Spojení se serverem mail.example.org bylo přerušeno.", "connection_dropped", "none"),
        # The wait ran out (Arabic, Croatian, Kazakh, Slovak).
        ("تعذر الإرسال بسبب انتهاء مهلة الاتصال بالخادوم.", "network_timeout", "none"),
        ("Veza s poslužiteljem mail.example.org je istekla.", "network_timeout", "none"),
        ("Серверге байланыс уақыты аяқталды.", "network_timeout", "none"),
        ("Časový limit pripojenia k serveru vypršal.", "network_timeout", "none"),
        # The login or its method refused (Turkish, Greek, Arabic, Bulgarian, Finnish,
        # Norwegian, Slovenian).
        ("mail.example.org sunucusunda kimlik doğrulanamadı.", "authentication", "auth"),
        ("Αλλάξτε τη μέθοδο ταυτοποίησης.", "authentication", "auth"),
        ("تعذر الاستيثاق مع الخادوم mail.example.org.", "authentication", "auth"),
        ("Сървърът не поддържа този метод за удостоверяване.", "authentication", "auth"),
        ("Todennus palvelimelle mail.example.org epäonnistui.", "authentication", "auth"),
        ("Serveren tillater ikke passord i klartekst.", "authentication", "auth"),
        ("Strežnika mail.example.org ni mogoče overiti.", "authentication", "auth"),
        # STARTTLS not offered (Finnish, Slovenian, Turkish).
        ("Palvelin ei tue STARTTLS-ominaisuutta.", "starttls_unavailable", "starttls"),
        (
            "STARTTLS-yhteyttä ei voitu muodostaa, koska palvelin ei tue sitä.",
            "starttls_unavailable",
            "starttls",
        ),
        (
            "Povezave STARTTLS ni mogoče vzpostaviti, ker strežnik te možnosti ne podpira.",
            "starttls_unavailable",
            "starttls",
        ),
        ("Sunucu STARTTLS komutunu desteklemiyor.", "starttls_unavailable", "starttls"),
        # Claws-like session errors: the remote host closed the connection, an unknown
        # host, a socket wait, an error during authentication, SMTP AUTH not available,
        # a message too big, a TLS handshake, a certificate (written for the purpose).
        ("Η σύνδεση έκλεισε από τον απομακρυσμένο διακομιστή.", "connection_dropped", "none"),
        ("Bağlantı karşı taraftan kesildi (587).", "connection_dropped", "none"),
        ("원격 호스트에 의해 연결이 끊겼습니다: mail.example.org", "connection_dropped", "none"),
        ("mail.example.org:25: bilinmeyen sunucu.", "dns_resolution", "dns"),
        ("mail.example.org:465: neznámy hostiteľ.", "dns_resolution", "dns"),
        ("Tidsgränsen för socket I/O överskreds (60 s).", "network_timeout", "none"),
        ("Temps d'espera excedit mentre s'enviava el missatge.", "network_timeout", "none"),
        ("Det oppstod en feil ved autentisering mot mail.example.org", "authentication", "auth"),
        ("Kimlik doğrulaması başarısız: mail.example.org", "authentication", "auth"),
        ("Nincs elérhető SMTP AUTH mód a kiszolgálón", "authentication", "auth"),
        ("SMTP AUTH-metoden er ikke tilgjengelig", "authentication", "auth"),
        ("Meddelandet är för stort för servern (högst 25 MB)", "message_size", "message"),
        ("Poruka je prevelika za poslužitelj.", "message_size", "message"),
        ("TLS kézfogás sikertelen: mail.example.org", "tls_handshake_failure", "tls_handshake"),
        ("Serveren bruger et selvsigneret certifikat", "tls_certificate", "tls_handshake"),
        # Readings the rules must not move: a quoted reply still decides.
        (
            "Veza s poslužiteljem je prekinuta. 550 5.1.1 <a@example.net>: Recipient address "
            "rejected: User unknown in virtual mailbox table",
            "recipient",
            "rcpt_to",
        ),
        ("454 4.7.0 TLS not available due to local problem", "starttls_unavailable", "starttls"),
    ],
)
def test_client_words_in_other_languages(text: str, category: str, stage: str) -> None:
    got = classify(text)
    assert (got.category.value, got.stage.value) == (category, stage), text
