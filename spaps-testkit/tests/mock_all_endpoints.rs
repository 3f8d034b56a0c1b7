//! Every one of the 104 endpoints, through both clients, against the mock SPAPS: each
//! answer decodes into the SDK's model and says what the mock's state says; the main
//! contract errors come back with their codes.

use std::collections::BTreeSet;
use std::time::Duration;

use serde_json::{json, Map, Value};
use spaps_proto::model::payments::LineItem;
use spaps_proto::{Decimal, Error};
use spaps_testkit::mock_spaps::{MockSpaps, RunningMock, DEMO_EMAIL, DEMO_PASSWORD};

/// An SDK value as JSON.
fn v<T: serde::Serialize>(value: &T) -> Value {
    serde_json::to_value(value).expect("outputs serialize")
}

/// The status and code of an API error.
fn api<T: std::fmt::Debug>(result: Result<T, Error>) -> (u16, String) {
    match result {
        Err(Error::Api(e)) => (e.status.as_u16(), e.code.clone().unwrap_or_default()),
        other => panic!("expected an API error, got {other:?}"),
    }
}

/// The whole tour, for a client `$c` whose request builders finish with `$go!`
/// (`.send()` or `.await`) and whose device-flow outcomes with `$done!`.
macro_rules! tour {
    ($c:ident, $spaps:ident, $go:ident, $done:ident) => {{
        let mut seen: BTreeSet<&'static str> = BTreeSet::new();
        macro_rules! ok {
            ($name:literal, $e:expr) => {{
                seen.insert($name);
                match $go!($e) {
                    Ok(out) => out,
                    Err(e) => panic!("{}: {e:?}", $name),
                }
            }};
        }
        macro_rules! err {
            ($e:expr) => {
                api($go!($e))
            };
        }

        // Metrics and health: no credentials.
        let text = ok!(
            "metrics.get_prometheus_metrics",
            $c.metrics().get_prometheus_metrics()
        );
        assert!(v(&text).to_string().contains("http_requests_total"));
        let j = v(&ok!(
            "metrics.get_metrics_json",
            $c.metrics().get_metrics_json()
        ));
        assert!(j["uptime_seconds"].is_number(), "{j}");
        assert_eq!(
            v(&ok!("metrics.health", $c.metrics().health()))["status"],
            "ok"
        );
        assert_eq!(
            v(&ok!("metrics.readiness", $c.metrics().readiness()))["status"],
            "ready"
        );

        // Registration, the current user, passwords.
        let reg = v(&ok!(
            "auth.register",
            $c.auth()
                .register("grace@example.com", "grace password 1")
                .username("grace")
        ));
        assert_eq!(reg["user"]["email"], "grace@example.com", "{reg}");
        assert_eq!(
            err!($c.auth().register("grace@example.com", "grace password 1")),
            (400, "EMAIL_ALREADY_EXISTS".into())
        );
        let me = v(&ok!("auth.get_current_user", $c.auth().get_current_user()));
        assert_eq!(me["username"], "grace");
        let grace_id = me["id"].as_str().unwrap().to_owned();
        assert_eq!(
            err!($c
                .auth()
                .set_password("grace password 2")
                .current_password("wrong one!")),
            (401, "INVALID_CREDENTIALS".into())
        );
        ok!(
            "auth.set_password",
            $c.auth()
                .set_password("grace password 2")
                .current_password("grace password 1")
        );
        ok!("auth.logout", $c.auth().logout());
        assert_eq!(
            err!($c
                .auth()
                .sign_in_with_password("grace@example.com", "grace password 1")),
            (401, "INVALID_CREDENTIALS".into())
        );
        ok!(
            "auth.sign_in_with_password",
            $c.auth()
                .sign_in_with_password("grace@example.com", "grace password 2")
        );
        ok!(
            "auth.request_password_reset",
            $c.auth().request_password_reset("grace@example.com")
        );
        let reset = $spaps
            .latest_code("password_reset", "grace@example.com")
            .expect("a reset code");
        assert_eq!(
            err!($c
                .auth()
                .confirm_password_reset("rst_bogus", "grace password 3")),
            (400, "INVALID_TOKEN".into())
        );
        ok!(
            "auth.confirm_password_reset",
            $c.auth()
                .confirm_password_reset(reset.as_str(), "grace password 3")
        );
        ok!(
            "auth.send_magic_link",
            $c.auth().send_magic_link("grace@example.com")
        );
        let link = $spaps
            .latest_code("magic_link", "grace@example.com")
            .expect("a magic link");
        let verified = v(&ok!(
            "auth.verify_magic_link",
            $c.auth().verify_magic_link(link.as_str())
        ));
        assert_eq!(verified["user"]["id"], grace_id.as_str(), "{verified}");
        assert_eq!(err!($c.auth().verify_magic_link(link.as_str())).0, 401);
        let nonce = v(&ok!(
            "auth.request_nonce",
            $c.auth().request_nonce("0xAbC123").chain("ethereum")
        ));
        let message = nonce["message"].as_str().unwrap().to_owned();
        let wallet = v(&ok!(
            "auth.verify_wallet",
            $c.auth()
                .verify_wallet("0xAbC123", "0xsigned", message.as_str())
                .chain("ethereum")
        ));
        assert_eq!(wallet["user"]["wallet_address"], "0xAbC123", "{wallet}");

        // The demo account (an admin) from here on; refresh rotates.
        let pair = v(&ok!(
            "auth.sign_in_with_password",
            $c.auth().sign_in_with_password(DEMO_EMAIL, DEMO_PASSWORD)
        ));
        let ada_id = pair["user"]["user_id"].as_str().unwrap().to_owned();
        let refresh = pair["refresh_token"].as_str().unwrap().to_owned();
        let rotated = v(&ok!(
            "auth.refresh_tokens",
            $c.auth().refresh_tokens(refresh.as_str())
        ));
        assert_ne!(rotated["refresh_token"], pair["refresh_token"]);

        // Sessions.
        let current = v(&ok!(
            "sessions.get_current_session",
            $c.sessions().get_current_session()
        ));
        let current_id = current["session_id"].as_str().unwrap().to_owned();
        assert_eq!(
            v(&ok!(
                "sessions.validate_session",
                $c.sessions().validate_session()
            ))["valid"],
            true
        );
        ok!("sessions.touch_session", $c.sessions().touch_session());
        let list = v(&ok!(
            "sessions.list_sessions",
            $c.sessions().list_sessions().limit(10u32)
        ));
        assert!(list["total"].as_u64().unwrap() >= 1, "{list}");

        // Device flow: a second session of the demo account, then revoke it.
        let auth = ok!("device_flow.start", $c.device_flow().start());
        $spaps.deny_device(&auth.user_code);
        match $done!($c.device_flow().poll(&auth)) {
            Err(e) => assert!(format!("{e:?}").contains("access_denied"), "{e:?}"),
            Ok(_) => panic!("a denied login succeeded"),
        }
        seen.insert("device_flow.request_token");
        let tokens = $go!($c.device_flow().login(None, |_| {})).expect("device login");
        assert!(v(&tokens)["expires_in"].is_number());
        let others = v(&ok!(
            "sessions.list_sessions",
            $c.sessions().list_sessions()
        ));
        let other = others["sessions"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["is_current"] == false)
            .map(|s| s["session_id"].as_str().unwrap().to_owned())
            .expect("another session");
        assert_eq!(
            other, current_id,
            "the password session is no longer current"
        );
        ok!(
            "sessions.revoke_session",
            $c.sessions().revoke_session(other.as_str())
        );
        assert_eq!(
            err!($c.sessions().revoke_session(other.as_str())),
            (404, "SESSION_NOT_FOUND".into())
        );

        // Catalog.
        let products = v(&ok!(
            "payments.list_products",
            $c.payments().list_products().active(true)
        ));
        assert_eq!(products["total"], 4, "{products}");
        let pro = v(&ok!(
            "payments.get_product",
            $c.payments().get_product("prod_mock_pro")
        ));
        assert_eq!(pro["prices"].as_array().unwrap().len(), 2);
        assert_eq!(
            err!($c.payments().get_product("prod_nope")),
            (404, "PRODUCT_NOT_FOUND".into())
        );
        let all = v(&ok!(
            "payments.list_all_products",
            $c.payments().list_all_products()
        ));
        assert_eq!(all["total"], 5);
        let made = v(&ok!(
            "payments.create_product",
            $c.payments()
                .create_product("Gadget")
                .description("A gadget")
                .category("hardware")
        ));
        let gadget = made["id"].as_str().unwrap().to_owned();
        ok!(
            "payments.update_product",
            $c.payments()
                .update_product(gadget.as_str())
                .name("Gadget 2")
        );
        let price = v(&ok!(
            "payments.create_price",
            $c.payments().create_price(gadget.as_str(), 1500, "usd")
        ));
        let price_id = price["id"].as_str().unwrap().to_owned();
        let product = v(&ok!(
            "payments.set_default_price",
            $c.payments()
                .set_default_price(gadget.as_str(), price_id.as_str())
        ));
        assert_eq!(product["name"], "Gadget 2");
        let fresh = v(&ok!(
            "payments.create_price_and_set_default",
            $c.payments()
                .create_price_and_set_default(gadget.as_str(), 1700, "usd")
                .deactivate_previous(true)
        ));
        assert!(fresh.to_string().contains("1700"), "{fresh}");
        ok!(
            "payments.create_price_and_set_default",
            $c.payments()
                .create_price_and_set_default(gadget.as_str(), 1800, "usd")
                .super_admin(false)
        );
        ok!(
            "payments.archive_price",
            $c.payments().archive_price(price_id.as_str())
        );
        ok!(
            "payments.archive_product",
            $c.payments().archive_product(gadget.as_str())
        );
        let archived = v(&ok!(
            "payments.get_product",
            $c.payments().get_product(gadget.as_str())
        ));
        assert_eq!(archived["active"], false);

        // Checkout.
        let cs = v(&ok!(
            "payments.create_checkout_session",
            $c.payments().create_checkout_session(
                "price_mock_team_monthly",
                "subscription",
                "https://a.example/ok",
                "https://a.example/no"
            )
        ));
        let cs_id = cs["session_id"].as_str().unwrap().to_owned();
        assert_eq!(
            err!($c.payments().create_checkout_session(
                "price_nope",
                "subscription",
                "https://a.example/ok",
                "https://a.example/no"
            )),
            (404, "PRICE_NOT_FOUND".into())
        );
        let auth_cs = v(&ok!(
            "payments.create_authenticated_checkout_session",
            $c.payments().create_authenticated_checkout_session(
                vec![LineItem::new("price_mock_credits_1k", 2)],
                "https://a.example/ok",
                "https://a.example/no"
            )
        ));
        let auth_cs_id = auth_cs["id"].as_str().unwrap().to_owned();
        let details = v(&ok!(
            "payments.get_checkout_session",
            $c.payments().get_checkout_session(auth_cs_id.as_str())
        ));
        assert_eq!(details["amount_total"], 2000);
        let listed = v(&ok!(
            "payments.list_checkout_sessions",
            $c.payments().list_checkout_sessions().limit(10u32)
        ));
        assert_eq!(listed["sessions"].as_array().unwrap().len(), 2, "{listed}");
        let expired = v(&ok!(
            "payments.expire_checkout_session",
            $c.payments().expire_checkout_session(auth_cs_id.as_str())
        ));
        assert_eq!(expired["expired"], true);
        $spaps
            .complete_checkout(&cs_id)
            .expect("checkout completes");
        let team = v(&ok!(
            "entitlements.check_access",
            $c.entitlements().check_access(ada_id.as_str(), "team_plan")
        ));
        assert_eq!(
            team["has_entitlement"], true,
            "the paid checkout grants team_plan"
        );

        // Guest checkout.
        let guest = v(&ok!(
            "payments.create_guest_checkout_session",
            $c.payments().create_guest_checkout_session(
                "guest@example.com",
                "payment",
                vec![LineItem::new("price_mock_credits_1k", 1)],
                "https://a.example/ok",
                "https://a.example/no"
            )
        ));
        let guest_id = guest["id"].as_str().unwrap().to_owned();
        ok!(
            "payments.get_guest_checkout_session",
            $c.payments().get_guest_checkout_session(guest_id.as_str())
        );
        let guests = v(&ok!(
            "payments.list_guest_checkout_sessions",
            $c.payments()
                .list_guest_checkout_sessions()
                .customer_email("guest@example.com")
        ));
        assert_eq!(guests["sessions"].as_array().unwrap().len(), 1);
        let converted = v(&ok!(
            "payments.convert_guest_checkout_session",
            $c.payments()
                .convert_guest_checkout_session(guest_id.as_str(), "guest@example.com")
                .password("guest password")
        ));
        assert_eq!(converted["success"], true);
        assert_eq!(
            err!($c
                .payments()
                .convert_guest_checkout_session(guest_id.as_str(), "guest@example.com")),
            (409, "CONFLICT".into())
        );

        // Balance, intents, methods, wallets, history.
        ok!("payments.get_balance", $c.payments().get_balance());
        ok!(
            "payments.create_payment_intent",
            $c.payments().create_payment_intent(4999, "usd")
        );
        ok!(
            "payments.update_payment_method",
            $c.payments()
                .update_payment_method("pm_card_visa")
                .set_default(true)
        );
        assert_eq!(err!($c.payments().update_payment_method("card_x")).0, 404);
        let amount: Decimal = "100.5".parse().unwrap();
        ok!(
            "payments.wallet_deposit",
            $c.payments()
                .wallet_deposit("0xAbC123", "ethereum", "0xtx1", amount, "USDC")
        );
        let tx = v(&ok!(
            "payments.get_wallet_transaction",
            $c.payments().get_wallet_transaction("0xtx1")
        ));
        assert_eq!(tx["status"], "pending");
        $spaps.advance_clock(Duration::from_secs(600));
        let tx = v(&ok!(
            "payments.get_wallet_transaction",
            $c.payments().get_wallet_transaction("0xtx1")
        ));
        assert_eq!(tx["status"], "confirmed", "{tx}");
        let history = v(&ok!(
            "payments.list_payment_history",
            $c.payments().list_payment_history().limit(10u32)
        ));
        let first = history["payments"][0]["id"].as_str().unwrap().to_owned();
        ok!(
            "payments.get_payment_detail",
            $c.payments().get_payment_detail(first.as_str())
        );
        assert_eq!(
            err!($c.payments().get_payment_detail("pi_nope")),
            (404, "PAYMENT_NOT_FOUND".into())
        );

        // Subscriptions.
        let subs = v(&ok!(
            "payments.list_subscriptions",
            $c.payments().list_subscriptions().status("active")
        ));
        assert_eq!(subs["subscriptions"].as_array().unwrap().len(), 2, "{subs}");
        ok!(
            "payments.get_subscription",
            $c.payments().get_subscription("sub_mock_1")
        );
        ok!(
            "payments.update_subscription",
            $c.payments()
                .update_subscription("sub_mock_1", "price_mock_pro_yearly")
        );
        let cancelled = v(&ok!(
            "payments.cancel_subscription",
            $c.payments().cancel_subscription("sub_mock_1")
        ));
        assert_eq!(cancelled["cancel_at_period_end"], true);
        assert_eq!(
            err!($c.payments().get_subscription("sub_nope")),
            (404, "SUBSCRIPTION_NOT_FOUND".into())
        );

        // Crypto.
        let mut meta = Map::new();
        meta.insert("entitlement_key".into(), json!("crypto_pass"));
        let inv = v(&ok!(
            "crypto.create_invoice",
            $c.crypto()
                .create_invoice("USDC", "base", "42.75".parse::<Decimal>().unwrap())
                .metadata(meta)
        ));
        let inv_id = inv["invoice_id"].as_str().unwrap().to_owned();
        ok!(
            "crypto.get_invoice",
            $c.crypto().get_invoice(inv_id.as_str())
        );
        $spaps.pay_crypto_invoice(&inv_id, "42.75").unwrap();
        ok!("crypto.reconcile", $c.crypto().reconcile());
        let status = v(&ok!(
            "crypto.get_invoice_status",
            $c.crypto().get_invoice_status(inv_id.as_str())
        ));
        assert_eq!(status["status"], "confirmed", "{status}");

        // Usage.
        let rec = || {
            $c.usage()
                .record_usage("api_calls", 5.0)
                .idempotency_key("k1")
        };
        let first = v(&ok!("usage.record_usage", rec()));
        let again = v(&ok!("usage.record_usage", rec()));
        assert_eq!(first["record_id"], again["record_id"]);
        assert_eq!(
            err!($c
                .usage()
                .record_usage("api_calls", 6.0)
                .idempotency_key("k1")),
            (409, "IDEMPOTENCY_KEY_REUSED".into())
        );
        let features = v(&ok!("usage.get_features", $c.usage().get_features()));
        assert_eq!(features["features"][0]["used"], 5.0);
        let hist = v(&ok!(
            "usage.get_history",
            $c.usage().get_history().period("monthly")
        ));
        assert_eq!(hist["summary"]["api_calls"], 5.0, "{hist}");

        // Whitelist.
        ok!(
            "whitelist.add",
            $c.whitelist().add("bob@example.com").tier("pro")
        );
        assert_eq!(
            err!($c.whitelist().add("bob@example.com")),
            (409, "CONFLICT".into())
        );
        assert!(v(&ok!(
            "whitelist.check",
            $c.whitelist().check("bob@example.com")
        ))["entry"]
            .is_object());
        ok!(
            "whitelist.update",
            $c.whitelist().update("bob@example.com").tier("enterprise")
        );
        let wl = v(&ok!("whitelist.list", $c.whitelist().list().limit(10u32)));
        assert_eq!(wl["total"], 2, "{wl}");
        ok!("whitelist.remove", $c.whitelist().remove("bob@example.com"));

        // Secure messages.
        ok!(
            "secure_messages.create_message",
            $c.secure_messages()
                .create_message("pat_1", "prac_1", "Results are in")
        );
        let msgs = v(&ok!(
            "secure_messages.list_messages",
            $c.secure_messages().list_messages()
        ));
        assert_eq!(msgs.as_array().map_or(0, Vec::len), 1, "{msgs}");

        // Issue reports (each opens a support case).
        let mut target = Map::new();
        target.insert("component_key".into(), json!("billing.button"));
        target.insert("component_label".into(), json!("Pay button"));
        target.insert("page_url".into(), json!("https://app.example/billing"));
        let report = v(&ok!(
            "issue_reporting.create_issue_report",
            $c.issue_reporting()
                .create_issue_report(target, "Spins forever")
        ));
        let report_id = report["id"].as_str().unwrap().to_owned();
        let case_id = report["linked_case"]["case_id"]
            .as_str()
            .unwrap()
            .to_owned();
        ok!(
            "issue_reporting.list_issue_reports",
            $c.issue_reporting().list_issue_reports()
        );
        let st = v(&ok!(
            "issue_reporting.get_issue_report_status",
            $c.issue_reporting().get_issue_report_status()
        ));
        assert_eq!(st["open_count"], 1);
        ok!(
            "issue_reporting.get_issue_report",
            $c.issue_reporting().get_issue_report(report_id.as_str())
        );
        ok!(
            "issue_reporting.update_issue_report",
            $c.issue_reporting()
                .update_issue_report(report_id.as_str(), "Only on Safari")
        );
        let reply = v(&ok!(
            "issue_reporting.reply_to_issue_report",
            $c.issue_reporting()
                .reply_to_issue_report(report_id.as_str(), "Still")
        ));
        assert_eq!(reply["parent_issue_report_id"], report_id.as_str());

        // Support telemetry.
        let mut actor = Map::new();
        actor.insert("type".into(), json!("user"));
        let ingest = || {
            $c.support_telemetry()
                .ingest_event(
                    "evt-key-1",
                    "2025-01-15T11:58:00Z",
                    "sdk",
                    "client_error",
                    "error",
                    actor.clone(),
                    Map::new(),
                )
                .external_case_ref("ZD-1")
        };
        let first = v(&ok!("support_telemetry.ingest_event", ingest()));
        assert_eq!(first["created_case"], true);
        assert_eq!(
            v(&ok!("support_telemetry.ingest_event", ingest()))["deduplicated"],
            true
        );
        let cases = v(&ok!(
            "support_telemetry.list_cases",
            $c.support_telemetry().list_cases()
        ));
        assert_eq!(cases["total"], 2, "{cases}");
        let ext_case = first["case_id"].as_str().unwrap().to_owned();
        let detail = v(&ok!(
            "support_telemetry.get_case",
            $c.support_telemetry().get_case(ext_case.as_str())
        ));
        assert_eq!(detail["event_total"], 1);
        ok!(
            "support_telemetry.get_case_by_external_ref",
            $c.support_telemetry().get_case_by_external_ref("ZD-1")
        );
        ok!(
            "support_telemetry.patch_case",
            $c.support_telemetry()
                .patch_case(case_id.as_str())
                .status("resolved")
        );
        assert_eq!(
            err!($c
                .support_telemetry()
                .patch_case(case_id.as_str())
                .status("investigating")),
            (400, "SUPPORT_TELEMETRY_INVALID_TRANSITION".into())
        );

        // Entitlements.
        let check = v(&ok!(
            "entitlements.check_access",
            $c.entitlements().check_access(ada_id.as_str(), "pro_plan")
        ));
        assert_eq!(check["has_entitlement"], true);
        let mine = v(&ok!(
            "entitlements.get_user_entitlements",
            $c.entitlements()
                .get_user_entitlements()
                .user_id(ada_id.as_str())
        ));
        assert!(mine.as_array().unwrap().len() >= 3, "{mine}");
        let granted = v(&ok!(
            "entitlements.grant_manual",
            $c.entitlements()
                .grant_manual("beta_access")
                .beneficiary_email("newcomer@example.com")
                .reason("beta")
        ));
        let granted_id = granted["id"].as_str().unwrap().to_owned();
        assert!(granted["beneficiary_user_id"].is_null());
        assert_eq!(
            err!($c
                .entitlements()
                .grant_manual("beta_access")
                .beneficiary_email("newcomer@example.com")),
            (409, "CONFLICT".into())
        );
        ok!(
            "entitlements.revoke",
            $c.entitlements().revoke(granted_id.as_str()).reason("oops")
        );
        assert_eq!(
            err!($c.entitlements().revoke(granted_id.as_str())),
            (409, "CONFLICT".into())
        );
        ok!(
            "entitlements.grant_manual",
            $c.entitlements()
                .grant_manual("beta_access")
                .beneficiary_email("late@example.com")
        );
        let changes = v(&ok!(
            "entitlements.get_changes",
            $c.entitlements().get_changes().limit(500u32)
        ));
        assert!(
            changes["events"].as_array().unwrap().len() >= 5,
            "{changes}"
        );
        let history = v(&ok!(
            "entitlements.get_purchase_history",
            $c.entitlements().get_purchase_history(ada_id.as_str())
        ));
        assert!(history.as_array().unwrap().len() >= 2, "{history}");

        // Email.
        let mut ctx = Map::new();
        ctx.insert("first_name".into(), json!("Grace"));
        ok!(
            "email.send",
            $c.email().send("welcome", "grace@example.com", ctx.clone())
        );
        assert_eq!(
            err!($c.email().send("welcome", "grace@example.com", Map::new())).0,
            400
        );
        assert_eq!(
            err!($c.email().send("nope", "grace@example.com", ctx.clone())),
            (404, "TEMPLATE_NOT_FOUND".into())
        );
        let templates = v(&ok!("email.list_templates", $c.email().list_templates()));
        assert_eq!(templates.as_array().unwrap().len(), 2);
        ok!("email.get_template", $c.email().get_template("welcome"));
        let preview = v(&ok!(
            "email.preview_template",
            $c.email().preview_template("welcome")
        ));
        assert_eq!(preview["subject"], "Welcome, Ada");
        let preview = v(&ok!(
            "email.preview_template",
            $c.email().preview_template("welcome").context(ctx.clone())
        ));
        assert_eq!(preview["subject"], "Welcome, Grace");
        ok!(
            "email.create_template",
            $c.email()
                .create_template("promo", "Promo", "Hi {{name}}", "<p>Sale</p>")
        );
        ok!(
            "email.update_template",
            $c.email()
                .update_template("promo")
                .subject("Hello {{name}}")
        );
        ok!(
            "email.create_or_update_override",
            $c.email()
                .create_or_update_override("welcome")
                .subject_override("Hey {{first_name}}")
        );
        let o = v(&ok!(
            "email.get_override",
            $c.email().get_override("welcome")
        ));
        assert_eq!(o["subject_override"], "Hey {{first_name}}");
        ok!(
            "email.delete_override",
            $c.email().delete_override("welcome")
        );
        assert_eq!(err!($c.email().get_override("welcome")).0, 404);
        let logs = v(&ok!("email.list_email_logs", $c.email().list_email_logs()));
        assert_eq!(logs["total"], 1, "{logs}");

        // Users.
        let emails = v(&ok!(
            "users.get_emails_batch",
            $c.users().get_emails_batch([ada_id.as_str(), "user_nope"])
        ));
        assert_eq!(emails["with_email"], 1);
        let users = v(&ok!(
            "users.get_users_batch",
            $c.users().get_users_batch([ada_id.as_str()])
        ));
        assert!(
            users["users"][ada_id.as_str()]["active_entitlements"]
                .as_array()
                .unwrap()
                .len()
                >= 2
        );

        // Day-rate.
        let slots = v(&ok!(
            "dayrate.get_availability",
            $c.dayrate().get_availability()
        ));
        let day = slots["slots"][2]["date"].as_str().unwrap().to_owned();
        ok!(
            "dayrate.get_allotment",
            $c.dayrate()
                .get_allotment("pro_plan")
                .user_id(ada_id.as_str())
        );
        let booked = v(&ok!(
            "dayrate.create_booking",
            $c.dayrate()
                .create_booking(
                    day.as_str(),
                    "morning",
                    DEMO_EMAIL,
                    "Ada",
                    "https://a.example/ok",
                    "https://a.example/no"
                )
                .policy_key("pro_plan")
        ));
        assert_eq!(booked["isFree"], true, "{booked}");
        let booking = booked["bookingId"].as_str().unwrap().to_owned();
        let admin = v(&ok!(
            "dayrate.get_admin_bookings",
            $c.dayrate().get_admin_bookings()
        ));
        assert_eq!(admin["total"], 1);
        ok!(
            "dayrate.cancel_booking",
            $c.dayrate().cancel_booking(booking.as_str())
        );
        assert_eq!(
            err!($c.dayrate().cancel_booking(booking.as_str())),
            (409, "CONFLICT".into())
        );

        // Claims: the grant to an email nobody had signed in with waits for its owner.
        ok!(
            "auth.register",
            $c.auth().register("late@example.com", "late password")
        );
        let claimed = v(&ok!(
            "entitlements.claim_pending",
            $c.entitlements().claim_pending()
        ));
        assert_eq!(claimed["count"], 1, "{claimed}");
        // Not an admin: 403.
        assert_eq!(
            err!($c.payments().list_all_products()),
            (403, "FORBIDDEN".into())
        );
        assert_eq!(err!($c.whitelist().list()), (403, "FORBIDDEN".into()));

        seen
    }};
}

fn all_names() -> BTreeSet<&'static str> {
    spaps_proto::api::names().into_iter().collect()
}

/// The 104 (method, path) pairs of the contract (section 2), `{}` for a parameter.
const ROUTES: &[&str] = &[
    "POST /api/auth/nonce",
    "POST /api/auth/wallet-sign-in",
    "POST /api/auth/login",
    "POST /api/auth/refresh",
    "POST /api/auth/register",
    "POST /api/auth/magic-link",
    "POST /api/auth/verify-magic-link",
    "GET /api/auth/user",
    "POST /api/auth/logout",
    "POST /api/auth/password-reset",
    "POST /api/auth/reset-password-confirm",
    "POST /api/auth/set-password",
    "GET /api/sessions/current",
    "POST /api/sessions/validate",
    "GET /api/sessions",
    "POST /api/sessions/touch",
    "DELETE /api/sessions/{}",
    "POST /api/payments/create-checkout-session",
    "GET /api/payments/balance",
    "POST /api/payments/create-payment-intent",
    "POST /api/payments/update-payment-method",
    "POST /api/payments/wallet-deposit",
    "GET /api/payments/wallet-transaction/{}",
    "GET /api/stripe/subscription/{}",
    "GET /api/stripe/subscriptions",
    "POST /api/stripe/subscription/{}/cancel",
    "POST /api/stripe/subscription/{}/update",
    "GET /api/stripe/checkout-sessions/{}",
    "GET /api/stripe/checkout-sessions",
    "POST /api/stripe/checkout-sessions/{}/expire",
    "POST /api/stripe/guest-checkout-sessions",
    "GET /api/stripe/guest-checkout-sessions/{}",
    "GET /api/stripe/guest-checkout-sessions",
    "POST /api/stripe/guest-checkout-sessions/convert",
    "GET /api/stripe/history",
    "GET /api/stripe/payment/{}",
    "GET /api/stripe/products",
    "GET /api/stripe/products/{}",
    "POST /api/stripe/checkout-sessions",
    "GET /api/stripe/products/super-admin/all",
    "POST /api/stripe/products",
    "PUT /api/stripe/products/{}",
    "DELETE /api/stripe/products/{}",
    "POST /api/stripe/prices",
    "DELETE /api/stripe/prices/{}",
    "POST /api/stripe/products/{}/default-price",
    "POST /api/stripe/products/super-admin/{}/prices/default-new",
    "POST /api/stripe/products/{}/prices/default-new",
    "POST /api/payments/crypto/invoices",
    "GET /api/payments/crypto/invoices/{}",
    "GET /api/payments/crypto/invoices/{}/status",
    "POST /api/payments/crypto/reconcile",
    "GET /api/usage/features",
    "POST /api/usage/record",
    "GET /api/usage/history",
    "GET /api/v1/whitelist/check",
    "GET /api/v1/whitelist",
    "POST /api/v1/whitelist",
    "PUT /api/v1/whitelist/{}",
    "DELETE /api/v1/whitelist/{}",
    "POST /api/secure-messages",
    "GET /api/secure-messages",
    "POST /api/v1/issue-reports",
    "GET /api/v1/issue-reports",
    "GET /api/v1/issue-reports/status",
    "GET /api/v1/issue-reports/{}",
    "PATCH /api/v1/issue-reports/{}",
    "POST /api/v1/issue-reports/{}/replies",
    "GET /api/metrics",
    "GET /api/metrics/json",
    "GET /health",
    "GET /health/ready",
    "POST /api/v1/support-telemetry/events",
    "GET /api/v1/support-telemetry/cases",
    "GET /api/v1/support-telemetry/cases/{}",
    "PATCH /api/v1/support-telemetry/cases/{}",
    "GET /api/v1/support-telemetry/cases/by-external/{}",
    "GET /api/entitlements",
    "GET /api/entitlements/check",
    "GET /api/entitlements/changes",
    "GET /api/entitlements/history",
    "POST /api/entitlements/claim",
    "POST /api/entitlements/manual",
    "DELETE /api/entitlements/{}",
    "POST /api/email/send",
    "GET /api/email/templates",
    "GET /api/email/templates/{}",
    "GET /api/email/templates/{}/preview",
    "POST /api/email/templates/{}/preview",
    "PUT /api/email/templates/{}",
    "GET /api/email/templates/{}/override",
    "PUT /api/email/templates/{}/override",
    "DELETE /api/email/templates/{}/override",
    "POST /api/email/templates",
    "GET /api/email/logs",
    "POST /api/users/emails",
    "POST /api/users/batch",
    "GET /api/dayrate/availability",
    "GET /api/dayrate/allotment",
    "POST /api/dayrate/book",
    "POST /api/dayrate/cancel",
    "GET /api/dayrate/admin/bookings",
    "POST /api/cli/device/authorize",
    "POST /api/cli/device/token",
];

/// The route of `method path`: the literal route when there is one, else the route
/// with `{}` in place of segments (fewest parameters first).
fn route_of(method: &str, path: &str) -> Option<&'static str> {
    let segs: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    let mut best: Option<(&'static str, usize)> = None;
    for route in ROUTES {
        let (m, p) = route.split_once(' ').unwrap();
        let rs: Vec<&str> = p.split('/').filter(|s| !s.is_empty()).collect();
        if m != method || rs.len() != segs.len() {
            continue;
        }
        let fits = rs.iter().zip(&segs).all(|(r, s)| *r == "{}" || r == s);
        let params = rs.iter().filter(|r| **r == "{}").count();
        if fits && best.is_none_or(|(_, n)| params < n) {
            best = Some((route, params));
        }
    }
    best.map(|(r, _)| r)
}

/// Every contract route was called.
fn assert_routes(spaps: &RunningMock) {
    assert_eq!(ROUTES.len(), 104);
    let hit: BTreeSet<&str> = spaps
        .received()
        .iter()
        .filter_map(|r| route_of(&r.method, &r.path))
        .collect();
    let missing: Vec<&&str> = ROUTES.iter().filter(|r| !hit.contains(*r)).collect();
    assert!(missing.is_empty(), "routes never called: {missing:?}");
}

fn mock() -> RunningMock {
    MockSpaps::new()
        .with_device_poll_interval(0)
        .start()
        .expect("mock starts")
}

#[test]
fn every_endpoint_through_the_blocking_client() {
    let spaps = mock();
    let c = spaps_blocking::Client::builder()
        .base_url(&spaps.url())
        .api_key("spaps_test_key")
        .build()
        .unwrap();
    macro_rules! send {
        ($e:expr) => {
            $e.send()
        };
    }
    macro_rules! same {
        ($e:expr) => {
            $e
        };
    }
    let seen = tour!(c, spaps, send, same);
    assert_eq!(seen, all_names(), "endpoints not driven");
    assert_routes(&spaps);
}

#[test]
fn every_endpoint_through_the_tokio_client() {
    let spaps = mock();
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let seen = rt.block_on(async {
        let c = spaps_tokio::Client::builder()
            .base_url(&spaps.url())
            .api_key("spaps_test_key")
            .build()
            .unwrap();
        macro_rules! send {
            ($e:expr) => {
                $e.await
            };
        }
        tour!(c, spaps, send, send)
    });
    assert_eq!(seen, all_names(), "endpoints not driven");
    assert_routes(&spaps);
}
