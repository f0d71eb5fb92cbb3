//! The two languages of the pages: English (the default, with the labels of
//! SPEC §2) and Simplified Chinese, chosen by a cookie set from the language
//! switch, else by `Accept-Language`.

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use axum_extra::extract::cookie::CookieJar;

use crate::domain::scope::Scope;

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
            },
        }
    }
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _state: &S) -> Result<Self, Self::Rejection> {
        let jar = CookieJar::from_headers(&parts.headers);
        if let Some(lang) = jar.get(LANG_COOKIE).and_then(|c| Lang::from_tag(c.value())) {
            return Ok(lang);
        }
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or_default();
        Ok(Lang::from_accept_language(accept))
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

    #[test]
    fn the_english_labels_are_the_contracts() {
        assert_eq!((EN.email, EN.password, EN.sign_in), ("Email", "Password", "Sign in"));
        assert_eq!((EN.username, EN.sign_up), ("Username", "Sign up"));
        assert_eq!((EN.authorize, EN.deny), ("Authorize", "Deny"));
    }
}
