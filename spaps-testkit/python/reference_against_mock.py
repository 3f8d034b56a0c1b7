"""Drives the reference Python client (spaps==0.5.0) through every endpoint against a
running spaps-mock, and fails if the client refuses any answer.

Usage: python reference_against_mock.py BASE_URL

Every call must return without raising (for the calls made to succeed) or raise the
module's error with the expected status (for the error probes). Prints one line per
call, then `N passed, M failed`; exits 1 when anything failed. Run by
`spaps-testkit/python/run.sh`, which builds the venv and starts the mock.
"""

import asyncio
import datetime
import json
import sys
import traceback
import urllib.request

import httpx
from spaps_client import AsyncSpapsClient, SpapsClient
from spaps_client.device_flow import DeviceFlowClient
from spaps_client.email import EmailClient
from spaps_client.email_async import AsyncEmailClient
from spaps_client.dayrate_async import AsyncDayrateClient
from spaps_client.entitlements import EntitlementsClient, ManualGrantParams
from spaps_client.users import UsersClient

BASE = sys.argv[1].rstrip("/")
KEY = "spaps_test_reference"
ADA = "ada@example.com"
PASSWORD = "correct horse battery staple"

passed = 0
failed = 0
seen = set()


def control(method, path, body=None):
    data = None if body is None else json.dumps(body).encode()
    req = urllib.request.Request(BASE + path, data=data, method=method)
    req.add_header("content-type", "application/json")
    with urllib.request.urlopen(req) as r:
        return json.loads(r.read())["data"]


def check(name, fn, expect_status=None):
    """Runs fn(); returns its result (None on failure)."""
    global passed, failed
    seen.add(name)
    try:
        out = fn()
        if expect_status is not None:
            raise AssertionError(f"expected an error {expect_status}, got {out!r}")
        passed += 1
        print(f"PASS {name}")
        return out
    except Exception as e:  # noqa: BLE001 - reporting any refusal is the point
        status = getattr(e, "status_code", None)
        if expect_status is not None and status == expect_status:
            passed += 1
            print(f"PASS {name} (error {status} {getattr(e, 'error_code', '')})")
            return None
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        traceback.print_exc(limit=2, file=sys.stdout)
        return None


async def acheck(name, coro_fn, expect_status=None):
    global passed, failed
    seen.add(name)
    try:
        out = await coro_fn()
        if expect_status is not None:
            raise AssertionError(f"expected an error {expect_status}, got {out!r}")
        passed += 1
        print(f"PASS {name}")
        return out
    except Exception as e:  # noqa: BLE001
        status = getattr(e, "status_code", None)
        if expect_status is not None and status == expect_status:
            passed += 1
            print(f"PASS {name} (error {status} {getattr(e, 'error_code', '')})")
            return None
        failed += 1
        print(f"FAIL {name}: {type(e).__name__}: {e}")
        traceback.print_exc(limit=2, file=sys.stdout)
        return None


def latest_code(kind, to):
    codes = control("GET", "/__mock/codes")["codes"]
    for c in reversed(codes):
        if c["kind"] == kind and c["to"].lower() == to.lower():
            return c["code"]
    raise AssertionError(f"no {kind} code for {to}")


def sync_tour():
    c = SpapsClient(base_url=BASE, api_key=KEY)
    m = c.metrics
    check("metrics.get_prometheus_metrics", m.get_prometheus_metrics)
    check("metrics.get_metrics_json", m.get_metrics_json)
    check("metrics.health", m.health)
    check("metrics.readiness", m.readiness)

    a = c.auth
    check("auth.register", lambda: a.register(email="grace@example.com", password="grace password 1", username="grace"))
    check("auth.register (exists)", lambda: a.register(email="grace@example.com", password="grace password 1"), 400)
    check("auth.get_current_user", a.get_current_user)
    check("auth.set_password", lambda: a.set_password(new_password="grace password 2", current_password="grace password 1"))
    check("auth.logout", a.logout)
    check("auth.sign_in_with_password (wrong)", lambda: a.sign_in_with_password(email="grace@example.com", password="nope nope"), 401)
    check("auth.request_password_reset", lambda: a.request_password_reset(email="grace@example.com"))
    code = latest_code("password_reset", "grace@example.com")
    check("auth.confirm_password_reset", lambda: a.confirm_password_reset(token=code, new_password="grace password 3"))
    check("auth.send_magic_link", lambda: a.send_magic_link(email="grace@example.com"))
    link = latest_code("magic_link", "grace@example.com")
    check("auth.verify_magic_link", lambda: a.verify_magic_link(token=link))
    nonce = check("auth.request_nonce", lambda: a.request_nonce(wallet_address="0xAbC123", chain="ethereum"))
    if nonce is not None:
        check("auth.verify_wallet", lambda: a.verify_wallet(wallet_address="0xAbC123", signature="0xsig", message=nonce.message, chain="ethereum"))
    pair = check("auth.sign_in_with_password", lambda: a.sign_in_with_password(email=ADA, password=PASSWORD))
    pair = check("auth.refresh_tokens", lambda: a.refresh_tokens(refresh_token=pair.refresh_token))
    ada_id = pair.user.user_id

    s = c.sessions
    check("sessions.get_current_session", s.get_current_session)
    check("sessions.validate_session", s.validate_session)
    check("sessions.touch_session", s.touch_session)
    other = SpapsClient(base_url=BASE, api_key=KEY)
    other.auth.sign_in_with_password(email=ADA, password=PASSWORD)
    listed = check("sessions.list_sessions", lambda: s.list_sessions(limit=10))
    victim = [x.session_id for x in listed.sessions if not x.is_current][0]
    check("sessions.revoke_session", lambda: s.revoke_session(victim))
    check("sessions.revoke_session (gone)", lambda: s.revoke_session(victim), 404)

    p = c.payments
    check("payments.list_products", lambda: p.list_products(active=True, limit=2))
    check("payments.get_product", lambda: p.get_product(product_id="prod_mock_pro"))
    check("payments.get_product (no prices)", lambda: p.get_product(product_id="prod_mock_pro", include_prices=False))
    check("payments.get_product (missing)", lambda: p.get_product(product_id="prod_nope"), 404)
    cs = check("payments.create_checkout_session", lambda: p.create_checkout_session(
        price_id="price_mock_pro_monthly", mode="subscription",
        success_url="https://a.example/ok", cancel_url="https://a.example/no", metadata={"order": "1"}))
    check("payments.get_checkout_session", lambda: p.get_checkout_session(session_id=cs.session_id))
    check("payments.list_checkout_sessions", lambda: p.list_checkout_sessions(limit=5))
    check("payments.expire_checkout_session", lambda: p.expire_checkout_session(session_id=cs.session_id))
    check("payments.get_balance", p.get_balance)
    check("payments.create_payment_intent", lambda: p.create_payment_intent(amount=4999, currency="usd"))
    check("payments.update_payment_method", lambda: p.update_payment_method(payment_method_id="pm_card", set_default=True))
    check("payments.wallet_deposit", lambda: p.wallet_deposit(wallet_address="0xAbC123", chain_type="ethereum", transaction_id="0xtx1", amount=10.5, currency="USDC"))
    check("payments.get_wallet_transaction", lambda: p.get_wallet_transaction(transaction_id="0xtx1"))
    check("payments.get_subscription", lambda: p.get_subscription(subscription_id="sub_mock_1"))
    check("payments.list_subscriptions", lambda: p.list_subscriptions(status="active", limit=5))
    check("payments.update_subscription", lambda: p.update_subscription(subscription_id="sub_mock_1", price_id="price_mock_pro_yearly"))
    check("payments.cancel_subscription", lambda: p.cancel_subscription(subscription_id="sub_mock_1"))
    check("payments.cancel_subscription (again)", lambda: p.cancel_subscription(subscription_id="sub_mock_1", immediately=True))
    guest = check("payments.create_guest_checkout_session", lambda: p.create_guest_checkout_session(
        customer_email="guest@example.com", mode="payment",
        line_items=[{"price_id": "price_mock_credits_1k", "quantity": 1}],
        success_url="https://a.example/ok", cancel_url="https://a.example/no"))
    check("payments.get_guest_checkout_session", lambda: p.get_guest_checkout_session(session_id=guest.id))
    check("payments.list_guest_checkout_sessions", lambda: p.list_guest_checkout_sessions(limit=5, customer_email="guest@example.com"))
    check("payments.convert_guest_checkout_session", lambda: p.convert_guest_checkout_session(session_id=guest.id, email="guest@example.com", password="guest password"))
    hist = check("payments.list_payment_history", lambda: p.list_payment_history(limit=5))
    check("payments.get_payment_detail", lambda: p.get_payment_detail(payment_id=hist.payments[0].id))

    cr = p.crypto
    inv = check("crypto.create_invoice", lambda: cr.create_invoice(asset="USDC", network="base", amount="42.75", metadata={"entitlement_key": "crypto_pass"}))
    check("crypto.get_invoice", lambda: cr.get_invoice(inv.invoice_id))
    control("POST", "/__mock/crypto/pay", {"invoice_id": inv.invoice_id, "amount": "42.75"})
    check("crypto.reconcile", lambda: cr.reconcile(recon_token="rt", cursor={"page": 1}))
    st = check("crypto.get_invoice_status", lambda: cr.get_invoice_status(inv.invoice_id))
    assert st is None or st.status == "confirmed", st

    u = c.usage
    check("usage.record_usage", lambda: u.record_usage(feature="api_calls", quantity=3, idempotency_key="py-1"))
    check("usage.record_usage (replay)", lambda: u.record_usage(feature="api_calls", quantity=3, idempotency_key="py-1"))
    check("usage.record_usage (conflict)", lambda: u.record_usage(feature="api_calls", quantity=4, idempotency_key="py-1"), 409)
    check("usage.get_features", u.get_features)
    check("usage.get_history", lambda: u.get_history(period="daily"))

    w = c.whitelist
    check("whitelist.add", lambda: w.add(email="bob@example.com", tier="pro"))
    check("whitelist.check", lambda: w.check(email="bob@example.com"))
    check("whitelist.check (absent)", lambda: w.check(email="nobody@example.com"))
    check("whitelist.update", lambda: w.update(email="bob@example.com", tier="enterprise"))
    check("whitelist.list", lambda: w.list(limit=10, offset=0))
    check("whitelist.remove", lambda: w.remove(email="bob@example.com"))

    sm = c.secure_messages
    check("secure_messages.create_message", lambda: sm.create_message(patient_id="pat_1", practitioner_id="prac_1", content="hello"))
    check("secure_messages.list_messages", sm.list_messages)

    ir = c.issue_reporting
    target = {"component_key": "billing.button", "component_label": "Pay", "page_url": "https://a.example/billing", "metadata": {}}
    rep = check("issue_reporting.create_issue_report", lambda: ir.create_issue_report(target=target, note="Spins"))
    check("issue_reporting.list_issue_reports", lambda: ir.list_issue_reports())
    check("issue_reporting.get_issue_report_status", ir.get_issue_report_status)
    check("issue_reporting.get_issue_report", lambda: ir.get_issue_report(issue_report_id=rep.id))
    check("issue_reporting.update_issue_report", lambda: ir.update_issue_report(issue_report_id=rep.id, note="Safari"))
    check("issue_reporting.reply_to_issue_report", lambda: ir.reply_to_issue_report(issue_report_id=rep.id, note="Still", reporter_role_hint="patient"))

    t = c.support_telemetry
    ev = check("support_telemetry.ingest_event", lambda: t.ingest_event(
        event_key="py-evt-1", occurred_at=datetime.datetime.now(datetime.timezone.utc),
        source_channel="sdk", event_type="client_error", severity="error",
        actor={"type": "user", "id": ada_id}, payload={"route": "/billing"},
        external_case_ref="ZD-9", title="Broken"))
    check("support_telemetry.list_cases", lambda: t.list_cases())
    check("support_telemetry.get_case", lambda: t.get_case(case_id=ev.case_id))
    check("support_telemetry.get_case_by_external_ref", lambda: t.get_case_by_external_ref(external_case_ref="ZD-9"))
    check("support_telemetry.patch_case", lambda: t.patch_case(case_id=ev.case_id, status="resolved", resolution_note="done"))
    check("support_telemetry.patch_case (bad transition)", lambda: t.patch_case(case_id=ev.case_id, status="investigating"), 400)

    token = c.get_tokens().access_token
    e = EntitlementsClient(base_url=BASE, api_key=KEY, access_token=token)
    check("entitlements.check_access", lambda: e.check_access(ada_id, "pro_plan"))
    check("entitlements.get_user_entitlements", lambda: e.get_user_entitlements(user_id=ada_id, include_expired=True, include_revoked=True))
    g = check("entitlements.grant_manual", lambda: e.grant_manual(ManualGrantParams(entitlement_key="beta", beneficiary_email="late@example.com", reason="py")))
    check("entitlements.revoke", lambda: e.revoke(g.id, reason="oops"))
    check("entitlements.grant_manual (again)", lambda: e.grant_manual(ManualGrantParams(entitlement_key="beta", beneficiary_email="late@example.com")))
    check("entitlements.get_changes", lambda: e.get_changes(limit=100))
    check("entitlements.get_purchase_history", lambda: e.get_purchase_history(ada_id))
    late = SpapsClient(base_url=BASE, api_key=KEY)
    late.auth.register(email="late@example.com", password="late password")
    e2 = EntitlementsClient(base_url=BASE, api_key=KEY, access_token=late.get_tokens().access_token)
    claimed = check("entitlements.claim_pending", e2.claim_pending)
    assert claimed is None or claimed.count == 1, claimed

    usr = UsersClient(base_url=BASE, api_key=KEY)
    check("users.get_emails_batch", lambda: usr.get_emails_batch([ada_id, "user_nope"]))
    check("users.get_users_batch", lambda: usr.get_users_batch([ada_id]))

    em = EmailClient(base_url=BASE, api_key=KEY)
    check("email.send", lambda: em.send(template_key="welcome", to="grace@example.com", context={"first_name": "Grace"}))
    check("email.list_templates", em.list_templates)
    check("email.get_template", lambda: em.get_template(template_key="welcome"))
    check("email.get_template (missing)", lambda: em.get_template(template_key="nope"), 404)
    check("email.preview_template (GET)", lambda: em.preview_template(template_key="welcome"))
    check("email.preview_template (POST)", lambda: em.preview_template(template_key="welcome", context={"first_name": "Bo"}))
    return ada_id, c.get_tokens().access_token


async def async_tour(ada_id, token):
    c = AsyncSpapsClient(base_url=BASE, api_key=KEY)
    await c.auth.sign_in_with_password(email=ADA, password=PASSWORD)
    p = c.payments
    await acheck("payments.create_authenticated_checkout_session (async)", lambda: p.create_authenticated_checkout_session(
        line_items=[{"price_id": "price_mock_credits_1k", "quantity": 1}],
        success_url="https://a.example/ok", cancel_url="https://a.example/no"))
    await acheck("payments.list_all_products (async)", p.list_all_products)
    prod = await acheck("payments.create_product (async)", lambda: p.create_product(name="Gadget", description="x", category="hw"))
    await acheck("payments.update_product (async)", lambda: p.update_product(product_id=prod.id, name="Gadget 2"))
    price = await acheck("payments.create_price (async)", lambda: p.create_price(product_id=prod.id, unit_amount=1500, currency="usd"))
    await acheck("payments.set_default_price (async)", lambda: p.set_default_price(product_id=prod.id, price_id=price.id))
    await acheck("payments.create_price_and_set_default (async, super-admin)", lambda: p.create_price_and_set_default(product_id=prod.id, unit_amount=1700, currency="usd", deactivate_previous=True))
    await acheck("payments.create_price_and_set_default (async)", lambda: p.create_price_and_set_default(product_id=prod.id, unit_amount=1800, currency="usd", super_admin=False))
    await acheck("payments.archive_price (async)", lambda: p.archive_price(price_id=price.id))
    await acheck("payments.archive_product (async)", lambda: p.archive_product(product_id=prod.id))
    await acheck("auth.logout (async)", lambda: AsyncSpapsClient(base_url=BASE, api_key=KEY).auth.logout(access_token=token))

    em = AsyncEmailClient(base_url=BASE, api_key=KEY, access_token=c.get_tokens().access_token)
    await acheck("email.send (async)", lambda: em.send(template_key="welcome", to="g@example.com", context={"first_name": "G"}, owner_id="o1"))
    await acheck("email.create_template (async)", lambda: em.create_template(template_key="promo", name="Promo", subject="Hi {{name}}", html_body="<p>Sale</p>", variables={"name": {"required": True}}))
    await acheck("email.update_template (async)", lambda: em.update_template(template_key="promo", subject="Hello {{name}}"))
    await acheck("email.create_or_update_override (async)", lambda: em.create_or_update_override(template_key="welcome", subject_override="Hey {{first_name}}"))
    await acheck("email.get_override (async)", lambda: em.get_override(template_key="welcome"))
    await acheck("email.delete_override (async)", lambda: em.delete_override(template_key="welcome"))
    await acheck("email.list_email_logs (async)", lambda: em.list_email_logs(owner_id="o1"))

    d = AsyncDayrateClient(base_url=BASE, api_key=KEY, access_token=c.get_tokens().access_token)
    slots = await acheck("dayrate.get_availability", d.get_availability)
    day = slots["slots"][2]["date"]
    await acheck("dayrate.get_allotment", lambda: d.get_allotment(policy_key="pro_plan", user_id=ada_id))
    b = await acheck("dayrate.create_booking", lambda: d.create_booking(date=day, slot="morning", client_email=ADA, client_name="Ada", success_url="https://a.example/ok", cancel_url="https://a.example/no", policy_key="pro_plan"))
    await acheck("dayrate.get_admin_bookings", lambda: d.get_admin_bookings(is_free=True))
    await acheck("dayrate.cancel_booking", lambda: d.cancel_booking(booking_id=b["bookingId"], email=ADA))

    dev = DeviceFlowClient(base_url=BASE, api_key=KEY, poll_interval=1, timeout=30)
    start = await acheck("device_flow.start", lambda: dev.start(scope="cli"))
    control("POST", "/__mock/device/approve", {"user_code": start.user_code})
    await acheck("device_flow.poll", lambda: dev.poll(start.device_code))
    start = await acheck("device_flow.start (deny)", dev.start)
    control("POST", "/__mock/device/deny", {"user_code": start.user_code})
    await acheck("device_flow.poll (denied)", lambda: dev.poll(start.device_code), 403)


def main():
    ada_id, token = sync_tour()
    asyncio.run(async_tour(ada_id, token))
    routes = {(r["method"], r["path"]) for r in control("GET", "/__mock/requests")["requests"]}
    print(f"# {len(routes)} distinct (method, path) pairs requested")
    print(f"{passed} passed, {failed} failed")
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
