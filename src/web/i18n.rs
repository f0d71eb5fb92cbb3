//! The two languages of the pages: English (the default, with the labels of
//! SPEC §2) and Simplified Chinese, chosen by a cookie set from the language
//! switch, else by `Accept-Language`.

use std::borrow::Cow;

use axum::extract::FromRequestParts;
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use axum_extra::extract::cookie::CookieJar;

use crate::domain::scope::Scope;
use crate::domain::security_event::SecurityEventKind;
use crate::web::params::{MAX_PARAMS, ParamsError};

/// The cookie the language switch sets.
pub const LANG_COOKIE: &str = "gatehouse_lang";

/// A page language.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Lang {
    /// English.
    En,
    /// Simplified Chinese.
    ZhCn,
}

impl Lang {
    /// Parses a language tag from the switch or a cookie.
    pub fn from_tag(tag: &str) -> Option<Lang> {
        match tag.trim().to_ascii_lowercase().as_str() {
            "en" | "en-us" | "en-gb" => Some(Lang::En),
            "zh" | "zh-cn" | "zh-hans" | "zh-sg" => Some(Lang::ZhCn),
            _ => None,
        }
    }

    /// Picks the language from `Accept-Language`: Chinese only when the
    /// highest-weighted supported language is Chinese.
    pub fn from_accept_language(header: &str) -> Lang {
        let mut best = (Lang::En, -1.0_f32);
        for item in header.split(',') {
            let mut parts = item.split(';');
            let tag = parts.next().unwrap_or_default().trim().to_ascii_lowercase();
            let weight =
                parts.find_map(|p| p.trim().strip_prefix("q=").and_then(|q| q.parse::<f32>().ok())).unwrap_or(1.0);
            let lang = if tag.starts_with("zh") {
                Some(Lang::ZhCn)
            } else if tag.starts_with("en") {
                Some(Lang::En)
            } else {
                None
            };
            if let Some(lang) = lang.filter(|_| weight > best.1) {
                best = (lang, weight);
            }
        }
        best.0
    }

    /// The `lang` attribute of the page.
    pub fn tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::ZhCn => "zh-CN",
        }
    }

    /// The page texts.
    pub fn texts(self) -> &'static Texts {
        match self {
            Lang::En => &EN,
            Lang::ZhCn => &ZH_CN,
        }
    }

    /// A security-log event's description.
    pub fn event_description(self, kind: SecurityEventKind) -> &'static str {
        use SecurityEventKind as K;
        match (self, kind) {
            (Lang::En, K::SignIn) => "Signed in",
            (Lang::ZhCn, K::SignIn) => "登录",
            (Lang::En, K::SignInFailed) => "Sign-in failed (wrong password)",
            (Lang::ZhCn, K::SignInFailed) => "登录失败（密码错误）",
            (Lang::En, K::SessionRevoked) => "Signed out a session",
            (Lang::ZhCn, K::SessionRevoked) => "退出了一个会话",
            (Lang::En, K::OtherSessionsRevoked) => "Signed out every other session",
            (Lang::ZhCn, K::OtherSessionsRevoked) => "退出了其他所有会话",
            (Lang::En, K::PasswordChanged) => "Password changed",
            (Lang::ZhCn, K::PasswordChanged) => "修改了密码",
            (Lang::En, K::ProfileUpdated) => "Profile updated",
            (Lang::ZhCn, K::ProfileUpdated) => "更新了个人资料",
            (Lang::En, K::EmailAdded) => "Email address added",
            (Lang::ZhCn, K::EmailAdded) => "添加了邮箱地址",
            (Lang::En, K::EmailVerified) => "Email address verified",
            (Lang::ZhCn, K::EmailVerified) => "验证了邮箱地址",
            (Lang::En, K::EmailRemoved) => "Email address removed",
            (Lang::ZhCn, K::EmailRemoved) => "删除了邮箱地址",
            (Lang::En, K::PrimaryEmailChanged) => "Primary email address changed",
            (Lang::ZhCn, K::PrimaryEmailChanged) => "更改了主邮箱地址",
            (Lang::En, K::PasswordResetRequested) => "Password reset requested",
            (Lang::ZhCn, K::PasswordResetRequested) => "申请重置密码",
            (Lang::En, K::PasswordReset) => "Password reset",
            (Lang::ZhCn, K::PasswordReset) => "重置了密码",
            (Lang::En, K::TwoFactorEnabled) => "Two-factor authentication turned on",
            (Lang::ZhCn, K::TwoFactorEnabled) => "开启了双因素认证",
            (Lang::En, K::TwoFactorDisabled) => "Two-factor authentication turned off",
            (Lang::ZhCn, K::TwoFactorDisabled) => "关闭了双因素认证",
            (Lang::En, K::RecoveryCodeUsed) => "Signed in with a recovery code",
            (Lang::ZhCn, K::RecoveryCodeUsed) => "使用恢复码登录",
            (Lang::En, K::TwoFactorFailed) => "Sign-in failed (wrong two-factor code after the right password)",
            (Lang::ZhCn, K::TwoFactorFailed) => "登录失败（密码正确，但双因素验证码错误）",
            (Lang::En, K::PasskeyAdded) => "Passkey added",
            (Lang::ZhCn, K::PasskeyAdded) => "添加了通行密钥",
            (Lang::En, K::PasskeyRenamed) => "Passkey renamed",
            (Lang::ZhCn, K::PasskeyRenamed) => "重命名了通行密钥",
            (Lang::En, K::PasskeyRemoved) => "Passkey removed",
            (Lang::ZhCn, K::PasskeyRemoved) => "删除了通行密钥",
            (Lang::En, K::ApplicationAuthorized) => "Application authorized",
            (Lang::ZhCn, K::ApplicationAuthorized) => "授权了应用",
            (Lang::En, K::ApplicationRevoked) => "Application access revoked",
            (Lang::ZhCn, K::ApplicationRevoked) => "撤销了应用的授权",
            (Lang::En, K::PersonalTokenCreated) => "Personal access token generated",
            (Lang::ZhCn, K::PersonalTokenCreated) => "生成了私人令牌",
            (Lang::En, K::PersonalTokenRevoked) => "Personal access token revoked",
            (Lang::ZhCn, K::PersonalTokenRevoked) => "撤销了私人令牌",
            (Lang::En, K::AccountDisabled) => "Account disabled by an administrator",
            (Lang::ZhCn, K::AccountDisabled) => "管理员停用了账号",
            (Lang::En, K::AccountEnabled) => "Account enabled by an administrator",
            (Lang::ZhCn, K::AccountEnabled) => "管理员启用了账号",
            (Lang::En, K::PasswordSetByAdmin) => "Password set by an administrator",
            (Lang::ZhCn, K::PasswordSetByAdmin) => "管理员设置了密码",
            (Lang::En, K::TwoFactorResetByAdmin) => "Two-factor authentication turned off by an administrator",
            (Lang::ZhCn, K::TwoFactorResetByAdmin) => "管理员关闭了两步验证",
            (Lang::En, K::SessionsEndedByAdmin) => "Signed out everywhere by an administrator",
            (Lang::ZhCn, K::SessionsEndedByAdmin) => "管理员退出了所有会话",
            (Lang::En, K::TokensRevokedByAdmin) => "Every token revoked by an administrator",
            (Lang::ZhCn, K::TokensRevokedByAdmin) => "管理员撤销了所有令牌",
        }
    }

    /// A scope's description for the consent and settings pages.
    pub fn scope_description(self, scope: Scope) -> &'static str {
        match self {
            Lang::En => scope.description(),
            Lang::ZhCn => match scope {
                Scope::UserInfo => "读取你的个人资料：名称、登录名、头像和公开信息",
                Scope::Projects => "读取和管理你的仓库",
                Scope::PullRequests => "读取和管理你的 Pull Request",
                Scope::Issues => "读取和管理你的 Issue",
                Scope::Notes => "以你的名义读取和发表评论",
                Scope::Keys => "读取和管理你的 SSH 公钥",
                Scope::Hook => "读取和管理你仓库的 WebHook",
                Scope::Groups => "读取和管理你的组织",
                Scope::Gists => "读取和管理你的代码片段",
                Scope::Enterprises => "读取和管理你的企业",
                Scope::Emails => "读取你的邮箱地址",
                Scope::OpenId => "用你的账号登录，并获知你的用户 ID",
                Scope::Profile => "读取你的名称、用户名、头像、个人主页和网站",
                Scope::Email => "读取你的主邮箱地址",
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let asked = parts.uri.query().and_then(Lang::from_ui_locales_query);
        Ok(asked.unwrap_or_else(|| Lang::from_headers(&parts.headers)))
    }
}

impl Lang {
    /// The first supported language of a `ui_locales` parameter (OIDC Core
    /// §3.1.2.1: "space-separated list of BCP47 language tag values, ordered
    /// by preference") in a query string. A relying party names it on the
    /// authorization request, and the sign-in page it leads to carries it
    /// on; it wins over the cookie for that page alone.
    pub fn from_ui_locales_query(query: &str) -> Option<Lang> {
        let (_, value) = url::form_urlencoded::parse(query.as_bytes()).find(|(name, _)| name == "ui_locales")?;
        value.split_ascii_whitespace().find_map(Lang::from_tag)
    }

    /// The language a request asks for: the switch's cookie, else
    /// `Accept-Language`, else English.
    pub fn from_headers(headers: &HeaderMap) -> Lang {
        let jar = CookieJar::from_headers(headers);
        if let Some(lang) = jar.get(LANG_COOKIE).and_then(|c| Lang::from_tag(c.value())) {
            return lang;
        }
        let accept = headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Lang::from_accept_language(accept)
    }
}

/// What the error page tells a person, in either language.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PageMessage {
    /// Nothing here, or not yours.
    NotFound,
    /// The database cannot be written or reached right now.
    Unavailable,
    /// Something broke on our side.
    Internal,
    /// The path holds a control character or invalid UTF-8.
    BadPath,
    /// A redirect address that is not a valid header value.
    BadRedirect,
    /// A form without a valid CSRF token.
    FormExpired,
    /// The consent form was posted without a live session.
    SessionEnded,
    /// The consent form has no `consent_id`.
    NoConsentId,
    /// The parked authorization request is gone.
    ConsentExpired,
    /// The consent form names neither decision.
    NoDecision,
    /// A public client has no secret to reset.
    NoSecretToReset,
    /// The authorization request has no `client_id`.
    NoClientId,
    /// No application has the `client_id`.
    UnknownClient,
    /// The `redirect_uri` is not registered for the application.
    UnregisteredRedirectUri,
    /// The `redirect_uri` is missing and the application has several.
    NoRedirectUri,
    /// An `id_token_hint` that is not an ID token of this server.
    BadIdTokenHint,
    /// A sign-out request whose `client_id` and `id_token_hint` disagree.
    LogoutClientMismatch,
    /// The parameters could not be read.
    Params(ParamsError),
}

impl PageMessage {
    /// The message in `lang`.
    pub fn text(&self, lang: Lang) -> Cow<'static, str> {
        let t = lang.texts();
        let fixed = match self {
            PageMessage::NotFound => t.error_not_found,
            PageMessage::Unavailable => t.error_unavailable,
            PageMessage::Internal => t.error_internal,
            PageMessage::BadPath => t.error_bad_path,
            PageMessage::BadRedirect => t.error_bad_redirect,
            PageMessage::FormExpired => t.error_form_expired,
            PageMessage::SessionEnded => t.error_session_ended,
            PageMessage::NoConsentId => t.error_no_consent_id,
            PageMessage::ConsentExpired => t.error_consent_expired,
            PageMessage::NoDecision => t.error_no_decision,
            PageMessage::NoSecretToReset => t.error_no_secret_to_reset,
            PageMessage::NoClientId => t.error_no_client_id,
            PageMessage::UnknownClient => t.error_unknown_client,
            PageMessage::UnregisteredRedirectUri => t.error_unregistered_redirect_uri,
            PageMessage::NoRedirectUri => t.error_no_redirect_uri,
            PageMessage::BadIdTokenHint => t.error_bad_id_token_hint,
            PageMessage::LogoutClientMismatch => t.error_logout_client_mismatch,
            PageMessage::Params(error) => return Cow::Owned(params_text(t, error)),
        };
        Cow::Borrowed(fixed)
    }
}

/// A parameter error in the page's language.
fn params_text(t: &Texts, error: &ParamsError) -> String {
    match error {
        ParamsError::Duplicate(name) => t.params_duplicate.replace("{name}", name),
        ParamsError::TooMany => t.params_too_many.replace("{max}", &MAX_PARAMS.to_string()),
        ParamsError::TooLong(name) => t.params_too_long.replace("{name}", name),
        ParamsError::BodyTooLarge => t.params_body_too_large.to_owned(),
        ParamsError::Malformed(detail) => t.params_malformed.replace("{detail}", detail),
        ParamsError::BadBytes(name) => t.params_bad_bytes.replace("{name}", name),
        ParamsError::UnsupportedMediaType => t.params_media_type.to_owned(),
    }
}

/// The error page's heading for `status`.
pub fn error_title(t: &Texts, status: StatusCode) -> &'static str {
    match status {
        StatusCode::NOT_FOUND => t.error_title_not_found,
        StatusCode::FORBIDDEN => t.error_title_forbidden,
        s if s.is_server_error() => t.error_title_server,
        _ => t.error_title_bad_request,
    }
}

/// Every text the pages show, in one language.
#[expect(missing_docs, reason = "each field is the text its name says")]
#[derive(Debug)]
pub struct Texts {
    pub brand: &'static str,
    pub applications: &'static str,
    pub authorized_apps: &'static str,
    pub sign_in: &'static str,
    pub sign_up: &'static str,
    pub sign_out: &'static str,
    pub signed_in_as: &'static str,
    pub switch_language: &'static str,
    pub home_intro: &'static str,
    pub email: &'static str,
    pub username: &'static str,
    pub password: &'static str,
    pub new_here: &'static str,
    pub create_account: &'static str,
    pub create_account_title: &'static str,
    pub have_account: &'static str,
    pub incorrect_credentials: &'static str,
    pub too_many_attempts: &'static str,
    pub correct_fields: &'static str,
    /// A form whose fields hold control characters or invalid UTF-8.
    pub unreadable_form: &'static str,
    pub invalid_email: &'static str,
    pub invalid_username: &'static str,
    pub invalid_password: &'static str,
    pub email_taken: &'static str,
    pub username_taken: &'static str,
    pub authorize_title: &'static str,
    pub by: &'static str,
    pub wants_access: &'static str,
    pub homepage: &'static str,
    pub will_be_able_to: &'static str,
    pub sent_to: &'static str,
    pub authorize: &'static str,
    pub deny: &'static str,
    pub your_applications: &'static str,
    pub new_application: &'static str,
    pub no_applications: &'static str,
    pub app_name: &'static str,
    pub homepage_url: &'static str,
    pub description: &'static str,
    pub callback_urls: &'static str,
    pub callback_urls_hint: &'static str,
    pub scopes: &'static str,
    pub public_client: &'static str,
    pub public_client_hint: &'static str,
    pub id_token_alg: &'static str,
    pub id_token_alg_hint: &'static str,
    pub create_application: &'static str,
    pub save_changes: &'static str,
    pub cancel: &'static str,
    pub client_id: &'static str,
    pub client_secret: &'static str,
    pub copy: &'static str,
    pub copy_secret_now: &'static str,
    pub secret_ends_with: &'static str,
    pub no_secret: &'static str,
    pub edit: &'static str,
    pub edit_application: &'static str,
    pub reset_secret: &'static str,
    pub reset_secret_hint: &'static str,
    pub revoke_all_tokens: &'static str,
    pub revoke_all_tokens_hint: &'static str,
    pub tokens_revoked: &'static str,
    pub delete: &'static str,
    pub delete_application: &'static str,
    pub delete_confirm: &'static str,
    pub created: &'static str,
    pub approved: &'static str,
    pub revoke: &'static str,
    pub no_authorized: &'static str,
    pub authorized_intro: &'static str,
    pub access_revoked: &'static str,
    pub back_to_applications: &'static str,
    pub error_title_bad_request: &'static str,
    pub error_title_forbidden: &'static str,
    pub error_title_not_found: &'static str,
    pub error_title_server: &'static str,
    pub error_not_found: &'static str,
    pub error_unavailable: &'static str,
    pub error_internal: &'static str,
    pub error_bad_path: &'static str,
    pub error_bad_redirect: &'static str,
    pub error_form_expired: &'static str,
    pub error_session_ended: &'static str,
    pub error_no_consent_id: &'static str,
    pub error_consent_expired: &'static str,
    pub error_no_decision: &'static str,
    pub error_no_secret_to_reset: &'static str,
    pub error_no_client_id: &'static str,
    pub error_unknown_client: &'static str,
    pub error_unregistered_redirect_uri: &'static str,
    pub error_no_redirect_uri: &'static str,
    pub params_duplicate: &'static str,
    pub params_too_many: &'static str,
    pub params_too_long: &'static str,
    pub params_body_too_large: &'static str,
    pub params_malformed: &'static str,
    pub params_bad_bytes: &'static str,
    pub params_media_type: &'static str,
    pub app_invalid_name: &'static str,
    pub app_description_too_long: &'static str,
    pub app_invalid_homepage: &'static str,
    pub app_callback_count: &'static str,
    pub app_no_scopes: &'static str,
    pub app_unknown_scope: &'static str,
    pub app_too_many_scopes: &'static str,
    pub app_unknown_id_token_alg: &'static str,
    pub settings: &'static str,
    pub sessions_title: &'static str,
    pub sessions_intro: &'static str,
    pub session_device: &'static str,
    pub session_address: &'static str,
    pub session_last_activity: &'static str,
    pub session_signed_in: &'static str,
    pub this_session: &'static str,
    pub sign_out_everywhere_else: &'static str,
    pub session_signed_out_notice: &'static str,
    pub other_sessions_signed_out_notice: &'static str,
    pub unknown_device: &'static str,
    pub security_log_title: &'static str,
    pub security_log_intro: &'static str,
    pub security_log_empty: &'static str,
    pub event_time: &'static str,
    pub event_what: &'static str,
    pub sign_out_urls: &'static str,
    pub sign_out_urls_hint: &'static str,
    pub app_invalid_sign_out_urls: &'static str,
    pub form_post_title: &'static str,
    pub form_post_explain: &'static str,
    pub form_post_continue: &'static str,
    pub logout_title: &'static str,
    pub logout_question: &'static str,
    pub logout_requested_by: &'static str,
    pub stay_signed_in: &'static str,
    pub signed_out_title: &'static str,
    pub signed_out_message: &'static str,
    pub error_bad_id_token_hint: &'static str,
    pub error_logout_client_mismatch: &'static str,
    pub callback_not_absolute: &'static str,
    pub callback_too_long: &'static str,
    pub callback_fragment: &'static str,
    pub callback_userinfo: &'static str,
    pub callback_insecure_http: &'static str,
    pub callback_non_ascii: &'static str,
    pub callback_forbidden_scheme: &'static str,
    pub device_title: &'static str,
    pub device_intro: &'static str,
    /// The device page's field (SPEC §6: **Code**).
    pub code: &'static str,
    /// The two-factor pages' field (SPEC §7: **Code**).
    pub two_factor_code: &'static str,
    /// The device page's button (SPEC §6: **Continue**).
    pub continue_: &'static str,
    pub device_code_hint: &'static str,
    pub device_malformed_code: &'static str,
    pub device_unknown_code: &'static str,
    pub device_compare_code: &'static str,
    pub device_done_title: &'static str,
    pub device_done: &'static str,
    pub device_denied_title: &'static str,
    pub device_denied: &'static str,
    // Profile, password, personal access tokens, account (SPEC §7).
    pub profile_title: &'static str,
    pub profile_intro: &'static str,
    pub profile_name: &'static str,
    pub profile_bio: &'static str,
    pub profile_website: &'static str,
    pub save: &'static str,
    pub profile_saved: &'static str,
    pub profile_invalid_name: &'static str,
    pub profile_invalid_bio: &'static str,
    pub profile_invalid_website: &'static str,
    pub profile_invalid_weibo: &'static str,
    pub password_title: &'static str,
    pub password_intro: &'static str,
    pub current_password: &'static str,
    pub new_password: &'static str,
    pub change_password: &'static str,
    pub password_changed: &'static str,
    pub wrong_current_password: &'static str,
    pub tokens_title: &'static str,
    pub tokens_intro: &'static str,
    pub no_tokens: &'static str,
    pub new_token_heading: &'static str,
    pub token_description: &'static str,
    pub token_expiration: &'static str,
    pub expiration_7: &'static str,
    pub expiration_30: &'static str,
    pub expiration_90: &'static str,
    pub expiration_365: &'static str,
    pub expiration_none: &'static str,
    pub generate_token: &'static str,
    pub your_new_token: &'static str,
    pub copy_token_now: &'static str,
    pub token_expires: &'static str,
    pub token_never_expires: &'static str,
    pub token_expired: &'static str,
    pub token_last_used: &'static str,
    pub token_never_used: &'static str,
    pub token_revoke: &'static str,
    pub token_revoked_notice: &'static str,
    pub token_invalid_description: &'static str,
    pub token_scope_not_allowed: &'static str,
    pub token_invalid_expiration: &'static str,
    pub token_too_many: &'static str,
    pub account_title: &'static str,
    pub delete_account: &'static str,
    pub delete_account_warning: &'static str,
    pub delete_account_confirm: &'static str,
    pub incorrect_password: &'static str,
    pub account_deleted_title: &'static str,
    pub account_deleted_message: &'static str,
    // Emails, mail and password reset (SPEC §7).
    pub emails_title: &'static str,
    pub emails_intro: &'static str,
    pub email_primary: &'static str,
    pub email_verified: &'static str,
    pub email_unverified: &'static str,
    pub email_added_on: &'static str,
    pub email_make_primary: &'static str,
    pub email_remove: &'static str,
    pub resend_verification: &'static str,
    pub add_email_heading: &'static str,
    pub email_add: &'static str,
    pub email_added_notice: &'static str,
    pub verification_sent_notice: &'static str,
    pub verification_not_sent_notice: &'static str,
    pub primary_changed_notice: &'static str,
    pub email_removed_notice: &'static str,
    pub email_in_use: &'static str,
    pub too_many_emails: &'static str,
    pub email_not_verified_error: &'static str,
    pub primary_cannot_be_removed: &'static str,
    pub email_already_verified: &'static str,
    pub verify_email_title: &'static str,
    pub verify_email_question: &'static str,
    pub verify_email_button: &'static str,
    pub email_verified_title: &'static str,
    pub email_verified_message: &'static str,
    pub go_to_emails: &'static str,
    pub link_problem_title: &'static str,
    pub link_invalid: &'static str,
    pub link_used: &'static str,
    pub link_expired: &'static str,
    pub forgot_password: &'static str,
    pub reset_title: &'static str,
    pub reset_intro: &'static str,
    pub send_reset_link: &'static str,
    pub reset_sent_title: &'static str,
    pub reset_sent_message: &'static str,
    pub too_many_reset_requests: &'static str,
    pub reset_for: &'static str,
    pub reset_new_password: &'static str,
    pub reset_password_button: &'static str,
    pub password_reset_done_title: &'static str,
    pub password_reset_done_message: &'static str,
    pub link_sign_in: &'static str,
    pub mail_greeting: &'static str,
    pub mail_verify_subject: &'static str,
    pub mail_verify_body: &'static str,
    pub mail_verify_ignore: &'static str,
    pub mail_reset_subject: &'static str,
    pub mail_reset_body: &'static str,
    pub mail_reset_ignore: &'static str,
    pub mail_link_fallback: &'static str,
    // Two-factor authentication (SPEC §7): the security page, its setup and
    // recovery codes, and the second sign-in step.
    pub security_title: &'static str,
    pub two_factor_title: &'static str,
    pub two_factor_intro: &'static str,
    pub enable_two_factor: &'static str,
    pub two_factor_is_on: &'static str,
    pub recovery_codes_left: &'static str,
    pub disable_two_factor_hint: &'static str,
    pub disable_two_factor: &'static str,
    pub two_factor_scan: &'static str,
    pub two_factor_type_secret: &'static str,
    pub two_factor_enter_code: &'static str,
    pub two_factor_setup_lasts: &'static str,
    pub qr_code_label: &'static str,
    pub verify: &'static str,
    pub two_factor_wrong_code: &'static str,
    pub recovery_codes_title: &'static str,
    pub recovery_codes_intro: &'static str,
    pub done: &'static str,
    pub two_factor_login_intro: &'static str,
    pub sign_in_again: &'static str,
    pub two_factor_off_notice: &'static str,
    pub two_factor_setup_expired: &'static str,
}

/// English: the visible labels of SPEC §2 are exact.
pub static EN: Texts = Texts {
    brand: "Gatehouse",
    applications: "Applications",
    authorized_apps: "Authorized applications",
    sign_in: "Sign in",
    sign_up: "Sign up",
    sign_out: "Sign out",
    signed_in_as: "Signed in as",
    switch_language: "中文",
    home_intro: "The Code Cloud account service: sign in to authorize applications and manage your own.",
    email: "Email",
    username: "Username",
    password: "Password",
    new_here: "New here?",
    create_account: "Create an account",
    create_account_title: "Create your account",
    have_account: "Already have an account?",
    incorrect_credentials: "Incorrect email or password",
    too_many_attempts: "Too many failed attempts. Try again in {seconds} seconds.",
    correct_fields: "Please correct the fields marked below.",
    unreadable_form: "The form held characters that cannot be accepted (control characters or invalid text). Please type it again.",
    invalid_email: "Enter a valid email address",
    invalid_username: "Username must be 2 to 40 characters: letters, digits, '-', '_' or '.', starting with a letter or digit",
    invalid_password: "Password must be 8 to 128 characters",
    email_taken: "An account with this email already exists",
    username_taken: "This username is taken",
    authorize_title: "Authorize",
    by: "by",
    wants_access: "wants to access your account",
    homepage: "Homepage",
    will_be_able_to: "This application will be able to",
    sent_to: "After you decide you will be sent to",
    authorize: "Authorize",
    deny: "Deny",
    your_applications: "Your applications",
    new_application: "New application",
    no_applications: "You have not registered any application yet.",
    app_name: "Application name",
    homepage_url: "Homepage URL",
    description: "Description",
    callback_urls: "Callback URLs",
    callback_urls_hint: "One per line: https, http on 127.0.0.1 or localhost, or a custom scheme for native apps.",
    scopes: "Scopes",
    public_client: "Public client",
    public_client_hint: "For native and browser apps that cannot keep a secret: no secret, PKCE required.",
    id_token_alg: "ID token signing algorithm",
    id_token_alg_hint: "How the ID tokens of OpenID Connect sign-ins (scope openid) are signed. RS256 works with every library.",
    create_application: "Create application",
    save_changes: "Save changes",
    cancel: "Cancel",
    client_id: "Client ID",
    client_secret: "Client secret",
    copy: "Copy",
    copy_secret_now: "Copy the client secret now. It is shown only once.",
    secret_ends_with: "ends with",
    no_secret: "none (public client: use PKCE)",
    edit: "Edit",
    edit_application: "Edit application",
    reset_secret: "Reset secret",
    reset_secret_hint: "The current secret stops working at once.",
    revoke_all_tokens: "Revoke all tokens",
    revoke_all_tokens_hint: "Every token issued to this application stops working.",
    tokens_revoked: "All tokens issued to this application have been revoked.",
    delete: "Delete",
    delete_application: "Delete application",
    delete_confirm: "This deletes the application and ends every authorization and token it holds. It cannot be undone.",
    created: "Created",
    approved: "Approved",
    revoke: "Revoke",
    no_authorized: "You have not authorized any application.",
    authorized_intro: "Applications you have allowed to use your account. Revoking ends their access at once.",
    access_revoked: "Access revoked.",
    back_to_applications: "Back to applications",
    error_title_bad_request: "This request cannot be completed",
    error_title_forbidden: "Not allowed",
    error_title_not_found: "Page not found",
    error_title_server: "Something went wrong",
    error_not_found: "This page does not exist.",
    error_unavailable: "The service is temporarily unavailable. Please try again in a few seconds.",
    error_internal: "Something went wrong on our side. Please try again.",
    error_bad_path: "The address holds a control character or invalid UTF-8.",
    error_bad_redirect: "The redirect address is not valid.",
    error_form_expired: "This form has expired or did not come from this site. Go back, reload the page and try again.",
    error_session_ended: "Your session has ended. Sign in and start again from the application.",
    error_no_consent_id: "The form has no consent_id.",
    error_consent_expired: "This authorization request has expired. Start again from the application.",
    error_no_decision: "Choose Authorize or Deny.",
    error_no_secret_to_reset: "A public client has no secret to reset.",
    error_no_client_id: "The request has no client_id.",
    error_unknown_client: "No application has this client_id.",
    error_unregistered_redirect_uri: "The redirect_uri is not registered for this application.",
    error_no_redirect_uri: "The request has no redirect_uri.",
    params_duplicate: "parameter `{name}` is given more than once with different values",
    params_too_many: "too many parameters (at most {max})",
    params_too_long: "parameter `{name}` is too long",
    params_body_too_large: "the request body is too large",
    params_malformed: "the request body is malformed: {detail}",
    params_bad_bytes: "parameter `{name}` holds a control character or invalid UTF-8",
    params_media_type: "the request body must be application/x-www-form-urlencoded or application/json",
    app_invalid_name: "Application name must be 1 to {max} characters",
    app_description_too_long: "Description must be at most {max} characters",
    app_invalid_homepage: "Homepage URL must be an http or https URL",
    app_callback_count: "Give 1 to {max} callback URLs",
    app_no_scopes: "Choose at least one scope",
    app_unknown_scope: "unknown scope `{scope}`",
    app_too_many_scopes: "too many scope names (at most {max})",
    app_unknown_id_token_alg: "ID token signing algorithm must be RS256, ES256 or EdDSA",
    settings: "Settings",
    sessions_title: "Sessions",
    sessions_intro: "Every browser signed in to your account. Sign out any you do not recognise.",
    session_device: "Device",
    session_address: "Address",
    session_last_activity: "Last activity",
    session_signed_in: "Signed in",
    this_session: "This session",
    sign_out_everywhere_else: "Sign out everywhere else",
    session_signed_out_notice: "The session was signed out.",
    other_sessions_signed_out_notice: "Every other session was signed out.",
    unknown_device: "Unknown device",
    security_log_title: "Security log",
    security_log_intro: "What happened to your account, newest first.",
    security_log_empty: "Nothing has happened yet.",
    event_time: "Time",
    event_what: "Event",
    sign_out_urls: "Sign-out URLs",
    sign_out_urls_hint: "Optional, one per line: where /oauth/logout may send the browser after signing out (OpenID Connect). Compared exactly.",
    app_invalid_sign_out_urls: "Sign-out URLs: give at most {max}, each an absolute https URL without a fragment (http only on 127.0.0.1, [::1] or localhost)",
    form_post_title: "Returning to the application",
    form_post_explain: "Your browser is sending the answer to the application. If nothing happens, press Continue.",
    form_post_continue: "Continue",
    logout_title: "Sign out",
    logout_question: "Do you want to sign out of Gatehouse?",
    logout_requested_by: "asks you to sign out.",
    stay_signed_in: "Stay signed in",
    signed_out_title: "Signed out",
    signed_out_message: "You have signed out. You can close this page.",
    error_bad_id_token_hint: "The id_token_hint is not an ID token this server issued.",
    error_logout_client_mismatch: "The client_id does not match the application the id_token_hint was issued to.",
    callback_not_absolute: "callback URL is not an absolute URL",
    callback_too_long: "callback URL is longer than {max} characters",
    callback_fragment: "callback URL must not have a fragment",
    callback_userinfo: "callback URL must not contain a user name or password",
    callback_insecure_http: "callback URL must use https (http only on 127.0.0.1, [::1] or localhost)",
    callback_non_ascii: "callback URL must be ASCII (percent-encode other characters)",
    callback_forbidden_scheme: "callback URL scheme `{scheme}` is not allowed",
    device_title: "Connect a device",
    device_intro: "Enter the code shown on your device or command-line tool to let it use your account.",
    code: "Code",
    two_factor_code: "Code",
    continue_: "Continue",
    device_code_hint: "8 letters, like BCDF-GHJK, in any case, with or without the dash.",
    device_malformed_code: "Enter the 8 letters shown on your device (like BCDF-GHJK).",
    device_unknown_code: "This code is not valid: it may be mistyped, expired or already used. Check the code on your device.",
    device_compare_code: "Only authorize if your device shows this code:",
    device_done_title: "Device connected",
    device_done: "You can go back to your device now: it will finish signing in by itself.",
    device_denied_title: "Access denied",
    device_denied: "The device was not given access. You can close this page.",
    // Profile, password, personal access tokens, account (SPEC §7).
    profile_title: "Profile",
    profile_intro: "Applications you authorize read these through the Open API and OpenID Connect.",
    profile_name: "Name",
    profile_bio: "Bio",
    profile_website: "Website",
    save: "Save",
    profile_saved: "Your profile was saved.",
    profile_invalid_name: "Name must be 1 to {max} characters on one line",
    profile_invalid_bio: "Bio must be at most {max} characters",
    profile_invalid_website: "Website must be an http or https URL of at most {max} characters, or empty",
    profile_invalid_weibo: "Weibo must be at most {max} characters on one line",
    password_title: "Password",
    password_intro: "Changing your password signs out every other browser. Personal access tokens and the applications you authorized keep working.",
    current_password: "Current password",
    new_password: "New password",
    change_password: "Change password",
    password_changed: "Your password was changed. Every other session was signed out.",
    wrong_current_password: "The current password is incorrect",
    tokens_title: "Personal access tokens",
    tokens_intro: "Tokens for scripts and CI: each opens the Open API like an application's access token, within the scopes you choose. Keep them as secret as a password.",
    no_tokens: "You have no personal access tokens.",
    new_token_heading: "New personal access token",
    token_description: "Description",
    token_expiration: "Expiration",
    expiration_7: "7 days",
    expiration_30: "30 days",
    expiration_90: "90 days",
    expiration_365: "1 year",
    expiration_none: "No expiration",
    generate_token: "Generate token",
    your_new_token: "Your new token",
    copy_token_now: "Copy the token now. It is shown only once.",
    token_expires: "Expires",
    token_never_expires: "never",
    token_expired: "Expired",
    token_last_used: "Last used",
    token_never_used: "never",
    token_revoke: "Revoke",
    token_revoked_notice: "The token was revoked.",
    token_invalid_description: "Description must be 1 to {max} characters on one line",
    token_scope_not_allowed: "scope `{scope}` cannot be given to a personal access token",
    token_invalid_expiration: "Choose an expiration: 7, 30 or 90 days, a year, or none",
    token_too_many: "You have {max} tokens already; revoke one first",
    account_title: "Account",
    delete_account: "Delete account",
    delete_account_warning: "Deleting your account deletes your applications and every token issued to them, your authorizations of other applications, your personal access tokens, sessions and security log. It cannot be undone.",
    delete_account_confirm: "Enter your password to confirm.",
    incorrect_password: "Incorrect password",
    account_deleted_title: "Account deleted",
    account_deleted_message: "Your account and everything it held have been deleted.",
    // Emails, mail and password reset (SPEC §7).
    emails_title: "Emails",
    emails_intro: "The addresses of your account. You sign in with the primary one; a password-reset link can go to it or to any verified address.",
    email_primary: "Primary",
    email_verified: "Verified",
    email_unverified: "Unverified",
    email_added_on: "Added",
    email_make_primary: "Make primary",
    email_remove: "Remove",
    resend_verification: "Send verification link",
    add_email_heading: "Add an email address",
    email_add: "Add",
    email_added_notice: "Address added. A verification link is on its way to it; the link works for 24 hours.",
    verification_sent_notice: "A new verification link is on its way; it works for 24 hours.",
    verification_not_sent_notice: "Several verification links were sent recently: use one of them, or try again later.",
    primary_changed_notice: "Your primary address has changed: sign in with it from now on.",
    email_removed_notice: "The address was removed.",
    email_in_use: "This address is in use already",
    too_many_emails: "An account may have at most {max} addresses",
    email_not_verified_error: "Only a verified address can be made primary",
    primary_cannot_be_removed: "The primary address cannot be removed",
    email_already_verified: "This address is verified already",
    verify_email_title: "Verify your email address",
    verify_email_question: "Confirm that {email} is your address.",
    verify_email_button: "Verify email address",
    email_verified_title: "Email address verified",
    email_verified_message: "{email} is verified.",
    go_to_emails: "Go to your email addresses",
    link_problem_title: "This link does not work",
    link_invalid: "This link is not valid. Check that you opened all of it, as it was in the mail.",
    link_used: "This link has been used already. Each link works once: ask for a new one.",
    link_expired: "This link has expired. Ask for a new one.",
    forgot_password: "Forgot password?",
    reset_title: "Reset your password",
    reset_intro: "Enter the email address of your account, and we will send you a link to choose a new password.",
    send_reset_link: "Send reset link",
    reset_sent_title: "Check your mail",
    reset_sent_message: "If an account has the address {email}, a link to reset its password is on its way. The link works once, for one hour.",
    too_many_reset_requests: "Too many reset requests. Try again in {seconds} seconds.",
    reset_for: "Choose a new password for the account of {email}.",
    reset_new_password: "New password",
    reset_password_button: "Reset password",
    password_reset_done_title: "Password reset",
    password_reset_done_message: "Your password has been changed, and every session of your account has been signed out. Sign in with the new password.",
    link_sign_in: "Sign in",
    mail_greeting: "Hello {login},",
    mail_verify_subject: "Verify your email address",
    mail_verify_body: "Please confirm that {email} is your address by opening this link within 24 hours:",
    mail_verify_ignore: "If you did not add this address to a Gatehouse account, ignore this mail.",
    mail_reset_subject: "Reset your Gatehouse password",
    mail_reset_body: "Someone asked to reset the password of your Gatehouse account. To choose a new one, open this link within one hour:",
    mail_reset_ignore: "The link works once. If you did not ask for it, ignore this mail: your password stays as it is.",
    mail_link_fallback: "If the button does not work, copy this address into your browser:",
    security_title: "Security",
    two_factor_title: "Two-factor authentication",
    two_factor_intro: "A second step at sign-in: after your password, a six-digit code from an authenticator app on your phone (Google Authenticator, Microsoft Authenticator, FreeOTP, 1Password and others). Someone who learns your password still cannot sign in.",
    enable_two_factor: "Enable two-factor authentication",
    two_factor_is_on: "Two-factor authentication is on: signing in asks for a code from your authenticator app.",
    recovery_codes_left: "Unused recovery codes: {count}",
    disable_two_factor_hint: "To turn it off, confirm your password.",
    disable_two_factor: "Turn off two-factor authentication",
    two_factor_scan: "Scan this QR code with your authenticator app.",
    two_factor_type_secret: "Or type this secret into the app:",
    two_factor_enter_code: "Then enter the six-digit code the app shows.",
    two_factor_setup_lasts: "This setup lasts an hour. Two-factor authentication comes on only once a code is verified.",
    qr_code_label: "QR code for your authenticator app",
    verify: "Verify",
    two_factor_wrong_code: "That code is not right, or it has been used already. Enter the code your app shows now.",
    recovery_codes_title: "Save your recovery codes",
    recovery_codes_intro: "Two-factor authentication is on. If you lose your phone, each of these codes signs you in once in place of an app's code. Keep them somewhere safe: they are shown only this once.",
    done: "Done",
    two_factor_login_intro: "Enter the code from your authenticator app, or one of your recovery codes.",
    sign_in_again: "Sign in again",
    two_factor_off_notice: "Two-factor authentication is off.",
    two_factor_setup_expired: "That setup has expired or was replaced. Start again.",
};

/// 简体中文。
pub static ZH_CN: Texts = Texts {
    brand: "Gatehouse",
    applications: "应用",
    authorized_apps: "已授权的应用",
    sign_in: "登录",
    sign_up: "注册",
    sign_out: "退出",
    signed_in_as: "当前登录",
    switch_language: "English",
    home_intro: "码云账号服务：登录后可以授权第三方应用，并管理你自己的应用。",
    email: "邮箱",
    username: "用户名",
    password: "密码",
    new_here: "还没有账号？",
    create_account: "注册新账号",
    create_account_title: "创建账号",
    have_account: "已有账号？",
    incorrect_credentials: "邮箱或密码不正确",
    too_many_attempts: "失败次数过多，请在 {seconds} 秒后重试。",
    correct_fields: "请修改下面标出的内容。",
    unreadable_form: "表单中含有无法接受的字符（控制字符或无效文本），请重新输入。",
    invalid_email: "请输入有效的邮箱地址",
    invalid_username: "用户名为 2 到 40 个字符：字母、数字、'-'、'_' 或 '.'，以字母或数字开头",
    invalid_password: "密码长度为 8 到 128 个字符",
    email_taken: "该邮箱已被注册",
    username_taken: "该用户名已被使用",
    authorize_title: "授权",
    by: "开发者",
    wants_access: "请求访问你的账号",
    homepage: "主页",
    will_be_able_to: "该应用将可以",
    sent_to: "确认后你将被带到",
    authorize: "授权",
    deny: "拒绝",
    your_applications: "我的应用",
    new_application: "创建应用",
    no_applications: "你还没有创建任何应用。",
    app_name: "应用名称",
    homepage_url: "应用主页",
    description: "应用描述",
    callback_urls: "回调地址",
    callback_urls_hint: "每行一个：https、127.0.0.1 或 localhost 上的 http，或原生应用的自定义协议。",
    scopes: "权限",
    public_client: "公开客户端",
    public_client_hint: "适用于无法保存密钥的原生应用和浏览器应用：没有密钥，必须使用 PKCE。",
    id_token_alg: "ID 令牌签名算法",
    id_token_alg_hint: "OpenID Connect 登录（权限 openid）签发的 ID 令牌用哪种算法签名。RS256 适用于所有程序库。",
    create_application: "创建应用",
    save_changes: "保存修改",
    cancel: "取消",
    client_id: "Client ID",
    client_secret: "Client Secret",
    copy: "复制",
    copy_secret_now: "请立即复制 Client Secret，它只显示这一次。",
    secret_ends_with: "末尾为",
    no_secret: "无（公开客户端：请使用 PKCE）",
    edit: "编辑",
    edit_application: "编辑应用",
    reset_secret: "重置密钥",
    reset_secret_hint: "当前密钥将立即失效。",
    revoke_all_tokens: "吊销所有令牌",
    revoke_all_tokens_hint: "发给该应用的所有令牌都将失效。",
    tokens_revoked: "已吊销发给该应用的所有令牌。",
    delete: "删除",
    delete_application: "删除应用",
    delete_confirm: "这将删除该应用，并结束它持有的所有授权和令牌。此操作无法撤销。",
    created: "创建于",
    approved: "授权于",
    revoke: "取消授权",
    no_authorized: "你还没有授权任何应用。",
    authorized_intro: "你允许使用你账号的应用。取消授权后它们将立即失去访问权限。",
    access_revoked: "已取消授权。",
    back_to_applications: "返回应用列表",
    error_title_bad_request: "无法完成此请求",
    error_title_forbidden: "不允许此操作",
    error_title_not_found: "页面不存在",
    error_title_server: "出错了",
    error_not_found: "此页面不存在。",
    error_unavailable: "服务暂时不可用，请几秒钟后重试。",
    error_internal: "我们这边出了问题，请重试。",
    error_bad_path: "地址中含有控制字符或无效的 UTF-8。",
    error_bad_redirect: "跳转地址无效。",
    error_form_expired: "此表单已过期，或并非来自本站。请返回、刷新页面后重试。",
    error_session_ended: "你的登录已失效。请重新登录，并从应用重新开始。",
    error_no_consent_id: "表单缺少 consent_id。",
    error_consent_expired: "此授权请求已过期，请从应用重新开始。",
    error_no_decision: "请选择“授权”或“拒绝”。",
    error_no_secret_to_reset: "公开客户端没有可重置的密钥。",
    error_no_client_id: "请求缺少 client_id。",
    error_unknown_client: "没有应用使用此 client_id。",
    error_unregistered_redirect_uri: "此 redirect_uri 未在该应用中登记。",
    error_no_redirect_uri: "请求缺少 redirect_uri。",
    params_duplicate: "参数 `{name}` 出现了多次且取值不同",
    params_too_many: "参数过多（最多 {max} 个）",
    params_too_long: "参数 `{name}` 过长",
    params_body_too_large: "请求体过大",
    params_malformed: "请求体格式不正确",
    params_bad_bytes: "参数 `{name}` 含有控制字符或无效的 UTF-8",
    params_media_type: "请求体必须是 application/x-www-form-urlencoded 或 application/json",
    app_invalid_name: "应用名称为 1 到 {max} 个字符",
    app_description_too_long: "应用描述最多 {max} 个字符",
    app_invalid_homepage: "应用主页必须是 http 或 https 地址",
    app_callback_count: "请填写 1 到 {max} 个回调地址",
    app_no_scopes: "请至少选择一项权限",
    app_unknown_scope: "未知的权限 `{scope}`",
    app_too_many_scopes: "权限名称过多（最多 {max} 个）",
    app_unknown_id_token_alg: "ID 令牌签名算法只能是 RS256、ES256 或 EdDSA",
    settings: "设置",
    sessions_title: "会话",
    sessions_intro: "所有登录了你账号的浏览器。不认识的会话请退出。",
    session_device: "设备",
    session_address: "地址",
    session_last_activity: "最近活动",
    session_signed_in: "登录于",
    this_session: "当前会话",
    sign_out_everywhere_else: "退出其他所有会话",
    session_signed_out_notice: "该会话已退出。",
    other_sessions_signed_out_notice: "其他所有会话均已退出。",
    unknown_device: "未知设备",
    security_log_title: "安全日志",
    security_log_intro: "你账号的安全事件，最新的在前。",
    security_log_empty: "暂无事件。",
    event_time: "时间",
    event_what: "事件",
    sign_out_urls: "退出后跳转地址",
    sign_out_urls_hint: "可选，每行一个：/oauth/logout 退出后可以把浏览器送往的地址（OpenID Connect），须完全一致。",
    app_invalid_sign_out_urls: "退出后跳转地址：最多 {max} 个，每个都须是不含片段的绝对 https 地址（http 仅限 127.0.0.1、[::1] 或 localhost）",
    form_post_title: "正在返回应用",
    form_post_explain: "浏览器正在把结果发送给应用。如果没有反应，请点击“继续”。",
    form_post_continue: "继续",
    logout_title: "退出",
    logout_question: "要退出 Gatehouse 吗？",
    logout_requested_by: "请求你退出登录。",
    stay_signed_in: "保持登录",
    signed_out_title: "已退出",
    signed_out_message: "你已退出登录，可以关闭此页面。",
    error_bad_id_token_hint: "id_token_hint 不是本服务器签发的 ID 令牌。",
    error_logout_client_mismatch: "client_id 与 id_token_hint 所属的应用不一致。",
    callback_not_absolute: "回调地址不是完整的绝对地址",
    callback_too_long: "回调地址超过 {max} 个字符",
    callback_fragment: "回调地址不能包含片段（#）",
    callback_userinfo: "回调地址不能包含用户名或密码",
    callback_insecure_http: "回调地址必须使用 https（http 仅限 127.0.0.1、[::1] 或 localhost）",
    callback_non_ascii: "回调地址只能包含 ASCII 字符（其他字符请用百分号编码）",
    callback_forbidden_scheme: "不允许使用 `{scheme}` 协议的回调地址",
    device_title: "连接设备",
    device_intro: "输入设备或命令行工具上显示的代码，允许它使用你的账号。",
    code: "代码",
    two_factor_code: "验证码",
    continue_: "继续",
    device_code_hint: "8 个字母，例如 BCDF-GHJK；大小写均可，短横线可省略。",
    device_malformed_code: "请输入设备上显示的 8 个字母（例如 BCDF-GHJK）。",
    device_unknown_code: "此代码无效：可能输错了、已过期或已被使用。请核对设备上显示的代码。",
    device_compare_code: "请确认你的设备上显示的正是这个代码，再授权：",
    device_done_title: "设备已连接",
    device_done: "现在可以回到你的设备了，它会自动完成登录。",
    device_denied_title: "已拒绝访问",
    device_denied: "该设备没有获得访问权限。你可以关闭此页面。",
    // Profile, password, personal access tokens, account (SPEC §7).
    profile_title: "个人资料",
    profile_intro: "你授权的应用可以通过开放 API 和 OpenID Connect 读取这些信息。",
    profile_name: "姓名",
    profile_bio: "个人简介",
    profile_website: "个人网站",
    save: "保存",
    profile_saved: "个人资料已保存。",
    profile_invalid_name: "姓名为 1 到 {max} 个字符，且只能有一行",
    profile_invalid_bio: "个人简介最多 {max} 个字符",
    profile_invalid_website: "个人网站必须是不超过 {max} 个字符的 http 或 https 地址，或者留空",
    profile_invalid_weibo: "微博最多 {max} 个字符，且只能有一行",
    password_title: "密码",
    password_intro: "修改密码后，其他所有浏览器都将退出登录。私人令牌和你已授权的应用不受影响。",
    current_password: "当前密码",
    new_password: "新密码",
    change_password: "修改密码",
    password_changed: "密码已修改，其他所有会话均已退出。",
    wrong_current_password: "当前密码不正确",
    tokens_title: "私人令牌",
    tokens_intro: "用于脚本和持续集成的令牌：它像应用的访问令牌一样调用开放 API，但仅限于你选择的权限。请像密码一样妥善保管。",
    no_tokens: "你还没有私人令牌。",
    new_token_heading: "新建私人令牌",
    token_description: "描述",
    token_expiration: "有效期",
    expiration_7: "7 天",
    expiration_30: "30 天",
    expiration_90: "90 天",
    expiration_365: "1 年",
    expiration_none: "永不过期",
    generate_token: "生成令牌",
    your_new_token: "你的新令牌",
    copy_token_now: "请立即复制该令牌，它只显示这一次。",
    token_expires: "过期时间",
    token_never_expires: "永不过期",
    token_expired: "已过期",
    token_last_used: "最近使用",
    token_never_used: "从未使用",
    token_revoke: "吊销",
    token_revoked_notice: "令牌已吊销。",
    token_invalid_description: "描述为 1 到 {max} 个字符，且只能有一行",
    token_scope_not_allowed: "私人令牌不能使用权限 `{scope}`",
    token_invalid_expiration: "请选择有效期：7 天、30 天、90 天、1 年或永不过期",
    token_too_many: "你已有 {max} 个令牌，请先吊销一个",
    account_title: "账号",
    delete_account: "删除账号",
    delete_account_warning: "删除账号将删除你的应用及发给它们的所有令牌、你对其他应用的授权、私人令牌、会话和安全日志。此操作无法撤销。",
    delete_account_confirm: "请输入密码以确认。",
    incorrect_password: "密码不正确",
    account_deleted_title: "账号已删除",
    account_deleted_message: "你的账号及其所有数据均已删除。",
    // Emails, mail and password reset (SPEC §7).
    emails_title: "邮箱",
    emails_intro: "你账号的邮箱地址。登录使用主邮箱；重置密码的链接可以发到主邮箱或任何已验证的邮箱。",
    email_primary: "主邮箱",
    email_verified: "已验证",
    email_unverified: "未验证",
    email_added_on: "添加于",
    email_make_primary: "设为主邮箱",
    email_remove: "删除",
    resend_verification: "发送验证链接",
    add_email_heading: "添加邮箱地址",
    email_add: "添加",
    email_added_notice: "已添加邮箱。验证链接已发往该地址，24 小时内有效。",
    verification_sent_notice: "新的验证链接已发出，24 小时内有效。",
    verification_not_sent_notice: "最近已发送过多个验证链接：请使用其中一个，或稍后再试。",
    primary_changed_notice: "主邮箱已更改：今后请用它登录。",
    email_removed_notice: "已删除该邮箱。",
    email_in_use: "该邮箱已被使用",
    too_many_emails: "每个账号最多 {max} 个邮箱地址",
    email_not_verified_error: "只有已验证的邮箱才能设为主邮箱",
    primary_cannot_be_removed: "不能删除主邮箱",
    email_already_verified: "该邮箱已经验证过了",
    verify_email_title: "验证邮箱地址",
    verify_email_question: "请确认 {email} 是你的邮箱地址。",
    verify_email_button: "验证邮箱",
    email_verified_title: "邮箱已验证",
    email_verified_message: "{email} 已验证。",
    go_to_emails: "前往邮箱设置",
    link_problem_title: "此链接无法使用",
    link_invalid: "此链接无效。请检查是否完整打开了邮件中的链接。",
    link_used: "此链接已经用过了。每个链接只能使用一次，请重新申请。",
    link_expired: "此链接已过期，请重新申请。",
    forgot_password: "忘记密码？",
    reset_title: "重置密码",
    reset_intro: "输入你账号的邮箱地址，我们会发送一个用于设置新密码的链接。",
    send_reset_link: "发送重置链接",
    reset_sent_title: "请查收邮件",
    reset_sent_message: "如果有账号使用 {email}，重置密码的链接已经发出。该链接一小时内有效，只能使用一次。",
    too_many_reset_requests: "重置请求过多，请在 {seconds} 秒后重试。",
    reset_for: "为 {email} 的账号设置新密码。",
    reset_new_password: "新密码",
    reset_password_button: "重置密码",
    password_reset_done_title: "密码已重置",
    password_reset_done_message: "你的密码已修改，账号的所有会话均已退出。请用新密码登录。",
    link_sign_in: "登录",
    mail_greeting: "{login}，你好：",
    mail_verify_subject: "验证你的邮箱地址",
    mail_verify_body: "请在 24 小时内打开下面的链接，确认 {email} 是你的邮箱地址：",
    mail_verify_ignore: "如果你没有把这个地址添加到 Gatehouse 账号，请忽略这封邮件。",
    mail_reset_subject: "重置你的 Gatehouse 密码",
    mail_reset_body: "有人申请重置你 Gatehouse 账号的密码。如需设置新密码，请在一小时内打开下面的链接：",
    mail_reset_ignore: "该链接只能使用一次。如果不是你本人申请，请忽略这封邮件，你的密码不会改变。",
    mail_link_fallback: "如果按钮无法使用，请把下面的地址复制到浏览器中打开：",
    security_title: "安全",
    two_factor_title: "双因素认证",
    two_factor_intro: "登录时多一步验证：输入密码后，还要输入手机上身份验证器应用（Google Authenticator、Microsoft Authenticator、FreeOTP、1Password 等）显示的六位验证码。即使别人知道了你的密码，也无法登录。",
    enable_two_factor: "开启双因素认证",
    two_factor_is_on: "双因素认证已开启：登录时需要输入身份验证器应用中的验证码。",
    recovery_codes_left: "未使用的恢复码：{count} 个",
    disable_two_factor_hint: "关闭前请输入密码确认。",
    disable_two_factor: "关闭双因素认证",
    two_factor_scan: "用身份验证器应用扫描这个二维码。",
    two_factor_type_secret: "或者在应用中手动输入这个密钥：",
    two_factor_enter_code: "然后输入应用显示的六位验证码。",
    two_factor_setup_lasts: "本次设置一小时内有效。验证码通过后，双因素认证才会开启。",
    qr_code_label: "供身份验证器应用扫描的二维码",
    verify: "验证",
    two_factor_wrong_code: "验证码不正确或已被使用过。请输入应用当前显示的验证码。",
    recovery_codes_title: "保存你的恢复码",
    recovery_codes_intro: "双因素认证已开启。如果手机丢失，每个恢复码可以代替应用中的验证码登录一次。请妥善保存：它们只显示这一次。",
    done: "完成",
    two_factor_login_intro: "请输入身份验证器应用中的验证码，或者一个恢复码。",
    sign_in_again: "重新登录",
    two_factor_off_notice: "双因素认证已关闭。",
    two_factor_setup_expired: "本次设置已过期或已被新的设置取代，请重新开始。",
};

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accept_language_picks_the_preferred_supported_language() {
        assert_eq!(Lang::from_accept_language("zh-CN,zh;q=0.9,en;q=0.8"), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language("en-US,en;q=0.9,zh-CN;q=0.8"), Lang::En);
        assert_eq!(Lang::from_accept_language("fr-FR,zh;q=0.5"), Lang::ZhCn);
        assert_eq!(Lang::from_accept_language("fr-FR"), Lang::En);
        assert_eq!(Lang::from_accept_language(""), Lang::En);
    }

    // OIDC Core §3.1.2.1 `ui_locales`: "ordered by preference"; Gatehouse
    // speaks `en` and `zh-CN`, and skips tags it does not know.
    #[test]
    fn ui_locales_names_the_first_supported_language() {
        let cases = [
            ("ui_locales=zh-CN", Some(Lang::ZhCn)),
            ("client_id=x&ui_locales=fr-CA%20zh-CN%20en", Some(Lang::ZhCn)),
            ("ui_locales=fr+en", Some(Lang::En)),
            ("ui_locales=fr-CA", None),
            ("ui_locales=", None),
            ("client_id=x", None),
        ];
        for (query, expected) in cases {
            assert_eq!(Lang::from_ui_locales_query(query), expected, "{query}");
        }
    }

    #[test]
    fn english_page_messages_read_as_before() {
        let duplicate = ParamsError::Duplicate("scope".into());
        assert_eq!(PageMessage::Params(duplicate.clone()).text(Lang::En), duplicate.to_string());
        for error in [ParamsError::TooMany, ParamsError::BodyTooLarge, ParamsError::UnsupportedMediaType] {
            assert_eq!(PageMessage::Params(error.clone()).text(Lang::En), error.to_string());
        }
        assert_eq!(PageMessage::NotFound.text(Lang::ZhCn), "此页面不存在。");
    }

    #[test]
    fn the_english_labels_are_the_contracts() {
        assert_eq!((EN.email, EN.password, EN.sign_in), ("Email", "Password", "Sign in"));
        assert_eq!((EN.username, EN.sign_up), ("Username", "Sign up"));
        assert_eq!((EN.authorize, EN.deny), ("Authorize", "Deny"));
        assert_eq!((EN.sign_out_urls, EN.logout_title), ("Sign-out URLs", "Sign out"));
        assert_eq!((EN.code, EN.continue_), ("Code", "Continue"));
        assert_eq!((EN.profile_name, EN.profile_bio, EN.profile_website, EN.save), ("Name", "Bio", "Website", "Save"));
        assert_eq!(
            (EN.current_password, EN.new_password, EN.change_password),
            ("Current password", "New password", "Change password")
        );
        assert_eq!(
            (EN.token_description, EN.token_expiration, EN.generate_token, EN.token_revoke),
            ("Description", "Expiration", "Generate token", "Revoke")
        );
    }

    #[test]
    fn the_english_labels_of_emails_and_password_reset_are_the_contracts() {
        // SPEC §7 "Emails", "Password reset".
        assert_eq!((EN.email, EN.email_add), ("Email", "Add"));
        assert_eq!((EN.email_make_primary, EN.email_remove), ("Make primary", "Remove"));
        assert_eq!((EN.forgot_password, EN.send_reset_link), ("Forgot password?", "Send reset link"));
        assert_eq!((EN.reset_new_password, EN.reset_password_button), ("New password", "Reset password"));
        assert_eq!((EN.enable_two_factor, EN.code, EN.verify), ("Enable two-factor authentication", "Code", "Verify"));
    }
}
