//! What the mails say (SPEC §7 "Mail"): a verification link and a
//! password-reset link, each as plain text with an HTML alternative, in the
//! language of the page the reader was on, with links built from the issuer.
//! `mail/` sends them; this module only writes them.

use askama::Template;

use crate::accounts::emails::LinkToSend;
use crate::clock::UnixTime;
use crate::mail::OutgoingMail;
use crate::web::i18n::Lang;
use crate::web::paths;

#[derive(Template)]
#[template(path = "mail/link.txt")]
struct LinkMailText<'a> {
    greeting: &'a str,
    body: &'a str,
    link: &'a str,
    note: &'a str,
    issuer: &'a str,
}

#[derive(Template)]
#[template(path = "mail/link.html")]
struct LinkMailHtml<'a> {
    lang: &'a str,
    subject: &'a str,
    greeting: &'a str,
    body: &'a str,
    button: &'a str,
    link: &'a str,
    fallback: &'a str,
    note: &'a str,
    issuer: &'a str,
}

/// Who a mail goes to and when it is written.
#[derive(Debug, Clone, Copy)]
pub struct Recipient<'a> {
    /// The reader's language.
    pub lang: Lang,
    /// The account's login, to greet.
    pub login: &'a str,
    /// Now.
    pub now: UnixTime,
}

/// The mail that verifies `link.email`.
pub fn verification(to: Recipient<'_>, issuer: &str, link: &LinkToSend) -> Result<OutgoingMail, askama::Error> {
    let t = to.lang.texts();
    let body = t.mail_verify_body.replace("{email}", &link.email);
    let parts = Parts {
        subject: t.mail_verify_subject,
        body: &body,
        button: t.verify_email_button,
        note: t.mail_verify_ignore,
        path: paths::EMAIL_VERIFICATION,
    };
    compose("email_verification", to, issuer, link, &parts)
}

/// The mail with a password-reset link for the account of `to`.
pub fn password_reset(to: Recipient<'_>, issuer: &str, link: &LinkToSend) -> Result<OutgoingMail, askama::Error> {
    let t = to.lang.texts();
    let parts = Parts {
        subject: t.mail_reset_subject,
        body: t.mail_reset_body,
        button: t.reset_password_button,
        note: t.mail_reset_ignore,
        path: paths::PASSWORD_RESET_EDIT,
    };
    compose("password_reset", to, issuer, link, &parts)
}

/// What differs between the two mails.
struct Parts<'a> {
    subject: &'a str,
    body: &'a str,
    button: &'a str,
    note: &'a str,
    /// The page the link opens.
    path: &'a str,
}

fn compose(
    kind: &'static str,
    to: Recipient<'_>,
    issuer: &str,
    link: &LinkToSend,
    parts: &Parts<'_>,
) -> Result<OutgoingMail, askama::Error> {
    let t = to.lang.texts();
    let url = format!("{issuer}{}?token={}", parts.path, link.token.expose());
    let greeting = t.mail_greeting.replace("{login}", to.login);
    let text = LinkMailText { greeting: &greeting, body: parts.body, link: &url, note: parts.note, issuer }.render()?;
    let html = LinkMailHtml {
        lang: to.lang.tag(),
        subject: parts.subject,
        greeting: &greeting,
        body: parts.body,
        button: parts.button,
        link: &url,
        fallback: t.mail_link_fallback,
        note: parts.note,
        issuer,
    }
    .render()?;
    Ok(OutgoingMail { kind, to: link.email.clone(), subject: parts.subject.to_owned(), text, html, date: to.now })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::token::PlainSecret;

    fn link() -> LinkToSend {
        LinkToSend { email: "ann@example.com".into(), token: PlainSecret::from_presented("gpr_abc-DEF_123") }
    }

    #[test]
    fn a_reset_mail_links_the_reset_page_in_both_forms_in_the_readers_language() {
        for (lang, subject) in [(Lang::En, "Reset your Gatehouse password"), (Lang::ZhCn, "重置你的 Gatehouse 密码")]
        {
            let to = Recipient { lang, login: "ann<b>", now: 1_795_000_000 };

            let mail = password_reset(to, "https://id.example", &link()).unwrap();

            let url = "https://id.example/password_reset/edit?token=gpr_abc-DEF_123";
            assert_eq!(
                (mail.kind, mail.to.as_str(), mail.subject.as_str()),
                ("password_reset", "ann@example.com", subject)
            );
            assert!(mail.text.contains(url) && mail.html.contains(&format!("href=\"{url}\"")), "{}", mail.html);
            assert!(mail.text.contains("ann<b>"), "plain text is not escaped");
            assert!(mail.html.contains("ann&#60;b&#62;") || mail.html.contains("ann&lt;b&gt;"), "HTML is escaped");
            assert!(!format!("{mail:?}").contains("gpr_"), "Debug leaves the link out");
        }
    }

    #[test]
    fn a_verification_mail_names_the_address_and_links_the_verification_page() {
        let to = Recipient { lang: Lang::ZhCn, login: "ann", now: 0 };
        let mail = verification(to, "http://127.0.0.1:8080", &link()).unwrap();
        assert!(mail.text.contains("http://127.0.0.1:8080/email_verification?token=gpr_abc-DEF_123"));
        assert!(mail.text.contains("确认 ann@example.com 是你的邮箱地址"), "{}", mail.text);
        assert!(mail.html.contains("lang=\"zh-CN\""));
    }
}
