//! Client-side permission checks, pure: who is an admin, a user's role, whether it
//! holds permissions, and the messages to show. The same rules as the reference
//! client (and its TypeScript sibling), so a UI gated with either agrees.
//!
//! These checks only shape what a client shows; the server enforces access.
//!
//! Every check exists twice: as a free function taking the custom admins
//! ([`is_admin_account`], [`user_role`], [`has_permission`], [`can_access_admin`],
//! [`user_display`], [`role_aware_error_message`]), as the reference's module functions
//! do, and as a method of a [`PermissionChecker`] that holds them.
//!
//! ```
//! use spaps_proto::permissions::{PermissionChecker, PermissionUser, Role};
//! let checker = PermissionChecker::new(["ops@example.com"]);
//! let ops = PermissionUser::with_email("OPS@example.com");
//! assert_eq!(checker.role(Some("ops@example.com")), Role::Admin);
//! assert!(checker.can_access_admin(Some(&ops)).allowed);
//! let ada = PermissionUser::with_email("ada@example.com").permissions(["read"]);
//! assert!(checker.has_permission(Some(&ada), &["read"]));
//! assert!(!checker.has_permission(Some(&ada), &["read", "write"]));
//!
//! // The same checks as free functions, and roles beyond the built-in three.
//! use spaps_proto::permissions::{is_admin_account, role_aware_error_message, AdminEntry};
//! let admins = [AdminEntry::from("ops@example.com")];
//! assert!(is_admin_account(Some("ops@example.com"), &admins));
//! assert_eq!(
//!     role_aware_error_message("superadmin", Role::Admin, None),
//!     "Access denied. Required role: superadmin, current role: admin"
//! );
//! ```

use std::collections::BTreeMap;
use std::fmt;

use serde::{Deserialize, Serialize};

/// The admin accounts that are always admins (custom entries add to them).
pub const DEFAULT_ADMIN_EMAIL: &str = "buildooor@gmail.com";
/// The default admin's Ethereum wallet.
pub const DEFAULT_ADMIN_ETHEREUM: &str = "0xa72bb7CeF1e4B2Cc144373d8dE0Add7CCc8DF4Ba";
/// The default admin's Solana wallet.
pub const DEFAULT_ADMIN_SOLANA: &str = "HVEbdiYU3Rr34NHBSgKs7q8cvdTeZLqNL77Z1FB2vjLy";

/// An admin account: an email and wallets by chain.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct AdminConfig {
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// Wallet addresses by chain name.
    #[serde(default)]
    pub wallets: BTreeMap<String, String>,
}

impl AdminConfig {
    /// The built-in admin account.
    pub fn default_admins() -> Self {
        Self {
            email: Some(DEFAULT_ADMIN_EMAIL.to_owned()),
            wallets: BTreeMap::from([
                ("ethereum".to_owned(), DEFAULT_ADMIN_ETHEREUM.to_owned()),
                ("solana".to_owned(), DEFAULT_ADMIN_SOLANA.to_owned()),
            ]),
        }
    }

    fn matches(&self, normalized: &str) -> bool {
        self.email
            .as_deref()
            .is_some_and(|e| !e.is_empty() && e.to_lowercase() == normalized)
            || self
                .wallets
                .values()
                .any(|w| !w.is_empty() && w.to_lowercase() == normalized)
    }
}

/// A custom admin: a bare identifier (email or wallet) or a whole account.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(untagged)]
pub enum AdminEntry {
    /// An email address or a wallet address.
    Identifier(String),
    /// An account with an email and wallets.
    Account(AdminConfig),
}

impl AdminEntry {
    fn matches(&self, normalized: &str) -> bool {
        match self {
            AdminEntry::Identifier(id) => id.to_lowercase() == normalized,
            AdminEntry::Account(account) => account.matches(normalized),
        }
    }
}

impl From<&str> for AdminEntry {
    fn from(value: &str) -> Self {
        AdminEntry::Identifier(value.to_owned())
    }
}

impl From<String> for AdminEntry {
    fn from(value: String) -> Self {
        AdminEntry::Identifier(value)
    }
}

impl From<AdminConfig> for AdminEntry {
    fn from(value: AdminConfig) -> Self {
        AdminEntry::Account(value)
    }
}

/// A user's role: one of the three the checks compute (`guest`, `user`, `admin`), or
/// any other name an application uses (e.g. `superadmin`), for
/// [`role_aware_error_message`] and for comparing with roles from elsewhere.
///
/// Roles compare, hash and serialize by name: `Role::new("admin")` is [`Role::Admin`],
/// and a [`Role::Custom`] that spells a built-in name equals that built-in role.
///
/// ```
/// use spaps_proto::permissions::Role;
/// assert_eq!(Role::new("admin"), Role::Admin);
/// assert_eq!(Role::new("superadmin").as_str(), "superadmin");
/// assert_eq!("guest".parse::<Role>().unwrap(), Role::Guest);
/// ```
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum Role {
    /// Not signed in.
    Guest,
    /// Signed in.
    User,
    /// An admin account.
    Admin,
    /// Any other role, by name (never computed by the checks here).
    Custom(String),
}

impl Role {
    /// The role called `name`: a built-in one for `guest`, `user` and `admin`
    /// (compared exactly, as the reference does), else [`Role::Custom`].
    pub fn new(name: impl Into<String>) -> Self {
        let name = name.into();
        match name.as_str() {
            "guest" => Role::Guest,
            "user" => Role::User,
            "admin" => Role::Admin,
            _ => Role::Custom(name),
        }
    }

    /// The role's name: `guest`, `user`, `admin`, or the custom name.
    pub fn as_str(&self) -> &str {
        match self {
            Role::Guest => "guest",
            Role::User => "user",
            Role::Admin => "admin",
            Role::Custom(name) => name,
        }
    }
}

impl PartialEq for Role {
    fn eq(&self, other: &Self) -> bool {
        self.as_str() == other.as_str()
    }
}

impl Eq for Role {}

impl std::hash::Hash for Role {
    fn hash<H: std::hash::Hasher>(&self, state: &mut H) {
        self.as_str().hash(state);
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl From<&str> for Role {
    fn from(name: &str) -> Self {
        Role::new(name)
    }
}

impl From<String> for Role {
    fn from(name: String) -> Self {
        Role::new(name)
    }
}

impl std::str::FromStr for Role {
    type Err = std::convert::Infallible;

    fn from_str(name: &str) -> Result<Self, Self::Err> {
        Ok(Role::new(name))
    }
}

impl Serialize for Role {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.as_str())
    }
}

impl<'de> Deserialize<'de> for Role {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        String::deserialize(deserializer).map(Role::new)
    }
}

/// The parts of a user the checks look at.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
pub struct PermissionUser {
    /// The email address.
    #[serde(default)]
    pub email: Option<String>,
    /// The wallet address.
    #[serde(default)]
    pub wallet_address: Option<String>,
    /// Granted permissions.
    #[serde(default)]
    pub permissions: Vec<String>,
}

impl PermissionUser {
    /// A user known by email.
    pub fn with_email(email: impl Into<String>) -> Self {
        Self {
            email: Some(email.into()),
            ..Self::default()
        }
    }

    /// A user known by wallet.
    pub fn with_wallet(wallet_address: impl Into<String>) -> Self {
        Self {
            wallet_address: Some(wallet_address.into()),
            ..Self::default()
        }
    }

    /// Sets the granted permissions.
    pub fn permissions<S: Into<String>>(
        mut self,
        permissions: impl IntoIterator<Item = S>,
    ) -> Self {
        self.permissions = permissions.into_iter().map(Into::into).collect();
        self
    }

    /// The identifier the checks use: the email, else the wallet.
    pub fn identifier(&self) -> Option<&str> {
        non_empty(self.email.as_deref()).or_else(|| non_empty(self.wallet_address.as_deref()))
    }

    /// True for a user with nothing in it, which the checks treat as no user.
    pub fn is_empty(&self) -> bool {
        self.email.is_none() && self.wallet_address.is_none() && self.permissions.is_empty()
    }
}

/// The outcome of [`PermissionChecker::can_access_admin`].
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct PermissionCheckResult {
    /// Whether access is allowed.
    pub allowed: bool,
    /// Why not, when it is not.
    pub reason: Option<String>,
    /// The user's role.
    pub user_role: Role,
    /// The role the check needs.
    pub required_role: Role,
}

/// How to show a user.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct UserDisplay {
    /// The email, a shortened wallet (`0xa72b...8DF4`), `User` or `Guest`.
    pub display_name: String,
    /// The role.
    pub role: Role,
    /// `👑 Admin` for admins.
    pub badge: Option<String>,
    /// Whether the user is an admin.
    pub is_admin: bool,
}

/// Permission checks with the built-in admins plus custom ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PermissionChecker {
    custom_admins: Vec<AdminEntry>,
}

impl PermissionChecker {
    /// A checker with these custom admins (besides the built-in ones).
    pub fn new<A: Into<AdminEntry>>(custom_admins: impl IntoIterator<Item = A>) -> Self {
        Self {
            custom_admins: custom_admins.into_iter().map(Into::into).collect(),
        }
    }

    /// The custom admins.
    pub fn custom_admins(&self) -> &[AdminEntry] {
        &self.custom_admins
    }

    /// Adds a custom admin.
    pub fn add_custom_admin(&mut self, admin: impl Into<AdminEntry>) {
        self.custom_admins.push(admin.into());
    }

    /// Removes every custom admin equal to `admin`.
    pub fn remove_custom_admin(&mut self, admin: &AdminEntry) {
        self.custom_admins.retain(|a| a != admin);
    }

    /// Whether `identifier` (email or wallet, compared case-insensitively) is an admin.
    pub fn is_admin(&self, identifier: Option<&str>) -> bool {
        is_admin_account(identifier, &self.custom_admins)
    }

    /// The role of `identifier`: guest without one, admin, or user.
    pub fn role(&self, identifier: Option<&str>) -> Role {
        user_role(identifier, &self.custom_admins)
    }

    /// Whether `user` holds every one of `required` (admins hold everything).
    pub fn has_permission(&self, user: Option<&PermissionUser>, required: &[&str]) -> bool {
        has_permission(user, required, &self.custom_admins)
    }

    /// Whether `user` may use admin features, and why not.
    pub fn can_access_admin(&self, user: Option<&PermissionUser>) -> PermissionCheckResult {
        can_access_admin(user, &self.custom_admins)
    }

    /// True only when there is no user at all.
    pub fn requires_auth(&self, user: Option<&PermissionUser>) -> bool {
        user.is_none()
    }

    /// True when `user` may not use admin features.
    pub fn requires_admin(&self, user: Option<&PermissionUser>) -> bool {
        !self.can_access_admin(user).allowed
    }

    /// How to show `user`.
    pub fn user_display(&self, user: Option<&PermissionUser>) -> UserDisplay {
        user_display(user, &self.custom_admins)
    }

    /// The message for a user of `user_role` who lacks `required_role` to do `action`;
    /// see [`role_aware_error_message`].
    pub fn error_message(
        &self,
        required_role: impl Into<Role>,
        user_role: impl Into<Role>,
        action: Option<&str>,
    ) -> String {
        role_aware_error_message(required_role, user_role, action)
    }
}

/// Whether `identifier` (an email or a wallet, compared case-insensitively) is one of
/// the built-in admins or of `custom_admins`. An empty or absent identifier never is.
pub fn is_admin_account(identifier: Option<&str>, custom_admins: &[AdminEntry]) -> bool {
    let Some(id) = non_empty(identifier) else {
        return false;
    };
    let normalized = id.to_lowercase();
    AdminConfig::default_admins().matches(&normalized)
        || custom_admins.iter().any(|a| a.matches(&normalized))
}

/// The role of `identifier`: [`Role::Guest`] without one, [`Role::Admin`] for an admin
/// (built-in or in `custom_admins`), else [`Role::User`].
pub fn user_role(identifier: Option<&str>, custom_admins: &[AdminEntry]) -> Role {
    match non_empty(identifier) {
        None => Role::Guest,
        Some(_) if is_admin_account(identifier, custom_admins) => Role::Admin,
        Some(_) => Role::User,
    }
}

/// Whether `user` holds every one of `required`; admins hold everything, and no user
/// (or an empty one) holds nothing.
pub fn has_permission(
    user: Option<&PermissionUser>,
    required: &[&str],
    custom_admins: &[AdminEntry],
) -> bool {
    let Some(user) = present(user) else {
        return false;
    };
    if user_role(user.identifier(), custom_admins) == Role::Admin {
        return true;
    }
    required
        .iter()
        .all(|p| user.permissions.iter().any(|q| q == p))
}

/// Whether `user` may use admin features, and why not.
pub fn can_access_admin(
    user: Option<&PermissionUser>,
    custom_admins: &[AdminEntry],
) -> PermissionCheckResult {
    let Some(user) = present(user) else {
        return PermissionCheckResult {
            allowed: false,
            reason: Some("Authentication required".to_owned()),
            user_role: Role::Guest,
            required_role: Role::Admin,
        };
    };
    let role = user_role(user.identifier(), custom_admins);
    let allowed = role == Role::Admin;
    PermissionCheckResult {
        allowed,
        reason: (!allowed).then(|| "Admin privileges required".to_owned()),
        user_role: role,
        required_role: Role::Admin,
    }
}

/// How to show `user`: its email, else its shortened wallet, else `User`; `Guest` for
/// no user; the `👑 Admin` badge for admins.
pub fn user_display(user: Option<&PermissionUser>, custom_admins: &[AdminEntry]) -> UserDisplay {
    let Some(user) = present(user) else {
        return UserDisplay {
            display_name: "Guest".to_owned(),
            role: Role::Guest,
            badge: None,
            is_admin: false,
        };
    };
    let role = user_role(user.identifier(), custom_admins);
    let is_admin = role == Role::Admin;
    let display_name = match (
        non_empty(user.email.as_deref()),
        non_empty(user.wallet_address.as_deref()),
    ) {
        (Some(email), _) => email.to_owned(),
        (None, Some(wallet)) => shorten(wallet),
        (None, None) => "User".to_owned(),
    };
    UserDisplay {
        display_name,
        role,
        badge: is_admin.then(|| "👑 Admin".to_owned()),
        is_admin,
    }
}

/// The message for a user of `user_role` who lacks `required_role` to do `action`
/// (`perform this action` when `None`). Either role may be a custom one, by name
/// (`"superadmin"`): every pair other than admin/user, admin/guest and user/guest gets
/// `Access denied. Required role: {required}, current role: {current}`.
pub fn role_aware_error_message(
    required_role: impl Into<Role>,
    user_role: impl Into<Role>,
    action: Option<&str>,
) -> String {
    let (required_role, user_role) = (required_role.into(), user_role.into());
    let action = action.unwrap_or("perform this action");
    match (required_role.as_str(), user_role.as_str()) {
        ("admin", "user") => {
            format!("🔒 Admin privileges required to {action}. Please authenticate with an admin account.")
        }
        ("admin", "guest") => {
            format!("🔐 Authentication required. Please sign in with an admin account to {action}.")
        }
        ("user", "guest") => {
            format!("🔐 Authentication required. Please sign in to {action}.")
        }
        _ => format!("Access denied. Required role: {required_role}, current role: {user_role}"),
    }
}

fn non_empty(s: Option<&str>) -> Option<&str> {
    s.filter(|s| !s.is_empty())
}

fn present(user: Option<&PermissionUser>) -> Option<&PermissionUser> {
    user.filter(|u| !u.is_empty())
}

/// The first 6 and last 4 characters of a wallet, joined by `...`.
fn shorten(wallet: &str) -> String {
    let chars: Vec<char> = wallet.chars().collect();
    let head: String = chars.iter().take(6).collect();
    let tail: String = chars[chars.len().saturating_sub(4)..].iter().collect();
    format!("{head}...{tail}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn built_in_admins_always_count_case_insensitively() {
        let c = PermissionChecker::default();
        assert!(c.is_admin(Some("BUILDOOOR@gmail.com")));
        assert!(c.is_admin(Some(&DEFAULT_ADMIN_ETHEREUM.to_lowercase())));
        assert!(c.is_admin(Some(&DEFAULT_ADMIN_SOLANA.to_uppercase())));
        assert!(!c.is_admin(Some("")));
        assert!(!c.is_admin(None));
        assert_eq!(c.role(None), Role::Guest);
        assert_eq!(c.role(Some("ada@example.com")), Role::User);
    }

    #[test]
    fn custom_admins_add_to_the_defaults() {
        let mut account = AdminConfig::default();
        account.wallets.insert("ethereum".into(), "0xABC".into());
        let mut c = PermissionChecker::new([
            AdminEntry::from("ops@x.io"),
            AdminEntry::from(account.clone()),
        ]);
        assert!(c.is_admin(Some("OPS@x.io")));
        assert!(c.is_admin(Some("0xabc")));
        assert!(c.is_admin(Some(DEFAULT_ADMIN_EMAIL)));
        c.remove_custom_admin(&AdminEntry::from("ops@x.io"));
        assert!(!c.is_admin(Some("ops@x.io")));
        c.add_custom_admin("new@x.io");
        assert!(c.is_admin(Some("new@x.io")));
    }

    #[test]
    fn permissions_need_all_and_admins_have_all() {
        let c = PermissionChecker::default();
        let u = PermissionUser::with_email("a@x.io").permissions(["read", "write"]);
        assert!(c.has_permission(Some(&u), &["read"]));
        assert!(c.has_permission(Some(&u), &["read", "write"]));
        assert!(!c.has_permission(Some(&u), &["admin"]));
        assert!(!c.has_permission(None, &["read"]));
        assert!(!c.has_permission(Some(&PermissionUser::default()), &[]));
        assert!(c.has_permission(
            Some(&PermissionUser::with_email(DEFAULT_ADMIN_EMAIL)),
            &["anything"]
        ));
    }

    #[test]
    fn admin_access_results_and_messages() {
        let c = PermissionChecker::default();
        let guest = c.can_access_admin(Some(&PermissionUser::default()));
        assert_eq!(
            (
                guest.allowed,
                guest.reason.as_deref(),
                guest.user_role.clone()
            ),
            (false, Some("Authentication required"), Role::Guest)
        );
        let user = c.can_access_admin(Some(&PermissionUser::with_email("a@x.io")));
        assert_eq!(
            (user.allowed, user.reason.as_deref(), user.user_role.clone()),
            (false, Some("Admin privileges required"), Role::User)
        );
        assert!(
            c.can_access_admin(Some(&PermissionUser::with_email(DEFAULT_ADMIN_EMAIL)))
                .allowed
        );
        assert_eq!(serde_json::to_value(&user).unwrap()["userRole"], "user");
        assert!(c.requires_auth(None));
        assert!(!c.requires_auth(Some(&PermissionUser::default())));
        assert!(c.requires_admin(Some(&PermissionUser::default())));
        assert_eq!(
            role_aware_error_message(Role::Admin, Role::User, Some("delete users")),
            "🔒 Admin privileges required to delete users. Please authenticate with an admin account."
        );
        assert_eq!(
            role_aware_error_message(Role::User, Role::Guest, None),
            "🔐 Authentication required. Please sign in to perform this action."
        );
        assert_eq!(
            role_aware_error_message(Role::User, Role::Admin, None),
            "Access denied. Required role: user, current role: admin"
        );
    }

    #[test]
    fn free_functions_match_the_checker() {
        let admins = [AdminEntry::from("ops@x.io")];
        let checker = PermissionChecker::new(admins.clone());
        let ops = PermissionUser::with_email("OPS@x.io");
        let ada = PermissionUser::with_email("ada@x.io").permissions(["read"]);
        for id in [Some("ops@x.io"), Some("ada@x.io"), Some(""), None] {
            assert_eq!(is_admin_account(id, &admins), checker.is_admin(id));
            assert_eq!(user_role(id, &admins), checker.role(id));
        }
        assert!(is_admin_account(Some("ops@x.io"), &admins));
        assert!(!is_admin_account(Some("ops@x.io"), &[]));
        assert!(is_admin_account(Some(DEFAULT_ADMIN_EMAIL), &[]));
        assert_eq!(user_role(Some("ops@x.io"), &admins), Role::Admin);
        for user in [Some(&ops), Some(&ada), None] {
            assert_eq!(
                has_permission(user, &["read"], &admins),
                checker.has_permission(user, &["read"])
            );
            assert_eq!(
                can_access_admin(user, &admins),
                checker.can_access_admin(user)
            );
            assert_eq!(user_display(user, &admins), checker.user_display(user));
        }
        assert!(has_permission(Some(&ops), &["anything"], &admins));
        assert!(!has_permission(Some(&ops), &["anything"], &[]));
    }

    #[test]
    fn custom_roles_are_names() {
        let superadmin = Role::new("superadmin");
        assert_eq!(superadmin, Role::Custom("superadmin".into()));
        assert_eq!(Role::new("admin"), Role::Admin);
        assert_eq!(Role::Custom("admin".into()), Role::Admin);
        assert_ne!(Role::new("Admin"), Role::Admin);
        assert_eq!(superadmin.to_string(), "superadmin");
        assert_eq!(serde_json::to_value(&superadmin).unwrap(), "superadmin");
        let back: Role = serde_json::from_value(serde_json::json!("user")).unwrap();
        assert_eq!(back, Role::User);
        assert_eq!(
            role_aware_error_message("superadmin", Role::Admin, None),
            "Access denied. Required role: superadmin, current role: admin"
        );
        assert_eq!(
            role_aware_error_message(superadmin, "guest", Some("rotate keys")),
            "Access denied. Required role: superadmin, current role: guest"
        );
        // A custom role spelling a built-in one gets the built-in message.
        assert_eq!(
            role_aware_error_message(Role::Custom("admin".into()), Role::User, Some("x")),
            role_aware_error_message(Role::Admin, Role::User, Some("x"))
        );
        assert_eq!(
            PermissionChecker::default().error_message(Role::User, Role::Guest, None),
            "🔐 Authentication required. Please sign in to perform this action."
        );
    }

    #[test]
    fn display_names() {
        let c = PermissionChecker::default();
        assert_eq!(c.user_display(None).display_name, "Guest");
        let w = c.user_display(Some(&PermissionUser::with_wallet("0x1234567890abcdef")));
        assert_eq!(w.display_name, "0x1234...cdef");
        assert_eq!(
            c.user_display(Some(&PermissionUser::with_wallet("ab")))
                .display_name,
            "ab...ab"
        );
        assert_eq!(
            c.user_display(Some(&PermissionUser::with_wallet("ééééééééééé")))
                .display_name,
            "éééééé...éééé"
        );
        let admin = c.user_display(Some(&PermissionUser::with_email(DEFAULT_ADMIN_EMAIL)));
        assert_eq!(
            (admin.badge.as_deref(), admin.is_admin),
            (Some("👑 Admin"), true)
        );
        let u = PermissionUser {
            permissions: vec!["x".into()],
            ..PermissionUser::default()
        };
        assert_eq!(c.user_display(Some(&u)).display_name, "User");
    }
}
