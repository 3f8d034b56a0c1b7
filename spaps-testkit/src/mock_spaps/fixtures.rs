//! Fixtures from JSON: users, products, entitlements, webhook endpoints.

use serde_json::Value;

use super::State;

impl State {
    /// Loads `fixtures`; returns the webhook endpoints it names (url, secret).
    pub(crate) fn load_fixtures(
        &mut self,
        fixtures: &Value,
    ) -> Result<Vec<(String, String)>, String> {
        if !fixtures.is_object() {
            return Err("fixtures must be a JSON object".to_owned());
        }
        let list = |key: &str| -> Result<Vec<Value>, String> {
            match &fixtures[key] {
                Value::Null => Ok(Vec::new()),
                Value::Array(items) => Ok(items.clone()),
                _ => Err(format!("fixtures.{key} must be a list")),
            }
        };
        if fixtures["replace_catalog"] == true {
            self.catalog.products.clear();
        }
        for (i, user) in list("users")?.iter().enumerate() {
            self.add_fixture_user(user)
                .map_err(|e| format!("users[{i}]: {e}"))?;
        }
        let now = self.now;
        for (i, product) in list("products")?.iter().enumerate() {
            self.catalog
                .add_fixture(product, now)
                .map_err(|e| format!("products[{i}]: {e}"))?;
        }
        for (i, e) in list("entitlements")?.iter().enumerate() {
            self.add_fixture_entitlement(e)
                .map_err(|e| format!("entitlements[{i}]: {e}"))?;
        }
        let mut hooks = Vec::new();
        for (i, hook) in list("webhooks")?.iter().enumerate() {
            match (hook["url"].as_str(), hook["secret"].as_str()) {
                (Some(url), Some(secret)) => hooks.push((url.to_owned(), secret.to_owned())),
                _ => return Err(format!("webhooks[{i}]: needs a url and a secret")),
            }
        }
        Ok(hooks)
    }
}
