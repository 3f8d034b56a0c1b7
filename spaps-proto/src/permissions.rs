//! Client-side permission checks, pure: who is an admin, a user's role, whether it
//! holds permissions, and the messages to show. The same rules as the reference
//! client (and its TypeScript sibling), so a UI gated with either agrees.
//!
//! These checks only shape what a client shows; the server enforces access.
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

/// A user's role.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Not signed in.
    Guest,
    /// Signed in.
    User,
    /// An admin account.
    Admin,
}

impl Role {
    /// `guest`, `user` or `admin`.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Guest => "guest",
            Role::User => "user",
            Role::Admin => "admin",
        }
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
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
        let Some(id) = non_empty(identifier) else {
            return false;
        };
        let normalized = id.to_lowercase();
        AdminConfig::default_admins().matches(&normalized)
            || self.custom_admins.iter().any(|a| a.matches(&normalized))
    }

    /// The role of `identifier`: guest without one, admin, or user.
    pub fn role(&self, identifier: Option<&str>) -> Role {
        match non_empty(identifier) {
            None => Role::Guest,
            Some(_) if self.is_admin(identifier) => Role::Admin,
            Some(_) => Role::User,
        }
    }

    /// Whether `user` holds every one of `required` (admins hold everything).
    pub fn has_permission(&self, user: Option<&PermissionUser>, required: &[&str]) -> bool {
        let Some(user) = present(user) else {
            return false;
        };
        if self.role(user.identifier()) == Role::Admin {
            return true;
        }
        required
            .iter()
            .all(|p| user.permissions.iter().any(|q| q == p))
    }

    /// Whether `user` may use admin features, and why not.
    pub fn can_access_admin(&self, user: Option<&PermissionUser>) -> PermissionCheckResult {
        let Some(user) = present(user) else {
            return PermissionCheckResult {
                allowed: false,
                reason: Some("Authentication required".to_owned()),
                user_role: Role::Guest,
                required_role: Role::Admin,
            };
        };
        let role = self.role(user.identifier());
        let allowed = role == Role::Admin;
        PermissionCheckResult {
            allowed,
            reason: (!allowed).then(|| "Admin privileges required".to_owned()),
            user_role: role,
            required_role: Role::Admin,
        }
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
        let Some(user) = present(user) else {
            return UserDisplay {
                display_name: "Guest".to_owned(),
                role: Role::Guest,
                badge: None,
                is_admin: false,
            };
        };
        let role = self.role(user.identifier());
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
}

/// The message for a user of `user_role` who lacks `required_role` to do `action`
/// (`perform this action` when `None`).
pub fn role_aware_error_message(
    required_role: Role,
    user_role: Role,
    action: Option<&str>,
) -> String {
    let action = action.unwrap_or("perform this action");
    match (required_role, user_role) {
        (Role::Admin, Role::User) => {
            format!("🔒 Admin privileges required to {action}. Please authenticate with an admin account.")
        }
        (Role::Admin, Role::Guest) => {
            format!("🔐 Authentication required. Please sign in with an admin account to {action}.")
        }
        (Role::User, Role::Guest) => {
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
            (guest.allowed, guest.reason.as_deref(), guest.user_role),
            (false, Some("Authentication required"), Role::Guest)
        );
        let user = c.can_access_admin(Some(&PermissionUser::with_email("a@x.io")));
        assert_eq!(
            (user.allowed, user.reason.as_deref(), user.user_role),
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
