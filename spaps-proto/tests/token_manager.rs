//! The token manager's decisions (generations, single flight, lease, bounded refresh,
//! store reloads) and the token file record, on virtual instants. (A test file of its
//! own because it reads the monotonic clock once, for a base instant; the core's
//! sources read no clock.)
use std::time::{Duration, Instant};

use spaps_proto::tokens::{
    decode_token_file, encode_token_file, Acquire, IssuedTokens, RefreshOutcome, Reload,
    TokenManager,
};
use spaps_proto::{Error, MemoryTokenStore, Timestamp, TokenStore, Tokens};

fn t(s: i64) -> Timestamp {
    Timestamp::from_unix_seconds(s).unwrap()
}

fn i0() -> Instant {
    // A fixed base instant; only differences matter.
    static BASE: std::sync::OnceLock<Instant> = std::sync::OnceLock::new();
    *BASE.get_or_init(Instant::now)
}

fn at(secs: u64) -> Instant {
    i0() + Duration::from_secs(secs)
}

fn expired() -> Tokens {
    Tokens::new("at_old")
        .with_refresh_token("rt_old")
        .with_expires_at(t(100))
}

fn begin(m: &mut TokenManager, wall: i64) -> (u64, u64) {
    match m.acquire(t(wall), at(0), true) {
        Acquire::Refresh {
            epoch, generation, ..
        } => (epoch, generation),
        other => panic!("{other:?}"),
    }
}

#[test]
fn fresh_tokens_are_used() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(Tokens::new("at").with_expires_at(t(1000))));
    assert!(matches!(
        m.acquire(t(100), at(0), true),
        Acquire::Use { .. }
    ));
}

#[test]
fn expired_tokens_refresh_once_and_others_wait() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(expired()));
    let (epoch, generation) = begin(&mut m, 200);
    assert!(matches!(m.acquire(t(200), at(0), true), Acquire::Wait { epoch: e, .. } if e == epoch));
    assert!(matches!(
        m.outcome(epoch, at(0)),
        RefreshOutcome::InFlight(_)
    ));
    assert!(m.finish(
        epoch,
        generation,
        Ok(Tokens::new("at_new").with_expires_at(t(5000)))
    ));
    assert!(matches!(m.outcome(epoch, at(0)), RefreshOutcome::Settled));
    match m.acquire(t(200), at(0), true) {
        Acquire::Use { token, .. } => assert_eq!(token.expose(), "at_new"),
        other => panic!("{other:?}"),
    }
}

#[test]
fn refresh_within_skew_and_not_before() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(
        Tokens::new("a")
            .with_refresh_token("r")
            .with_expires_at(t(1000)),
    ));
    assert!(matches!(
        m.acquire(t(900), at(0), true),
        Acquire::Use { .. }
    ));
    assert!(matches!(
        m.acquire(t(969), at(0), true),
        Acquire::Use { .. }
    ));
    assert!(matches!(
        m.acquire(t(970), at(0), true),
        Acquire::Refresh { .. }
    ));
}

#[test]
fn a_short_lived_token_is_refreshed_half_way_not_at_once() {
    // 10 s of life under a 30 s skew: due after about 5 s, not immediately.
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(
        Tokens::new("a")
            .with_refresh_token("r")
            .with_expires_at(t(1010)),
    ));
    assert!(matches!(
        m.acquire(t(1000), at(0), true),
        Acquire::Use { .. }
    ));
    assert!(matches!(
        m.acquire(t(1004), at(0), true),
        Acquire::Use { .. }
    ));
    assert!(matches!(
        m.acquire(t(1005), at(0), true),
        Acquire::Refresh { .. }
    ));
}

#[test]
fn a_call_that_refreshed_uses_the_token_as_it_is() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(expired()));
    let (epoch, generation) = begin(&mut m, 200);
    // The server answers with a token that is already within the skew.
    m.finish(
        epoch,
        generation,
        Ok(Tokens::new("at_short")
            .with_refresh_token("rt_2")
            .with_expires_at(t(201))),
    );
    assert!(
        matches!(m.acquire(t(200), at(0), false), Acquire::Use { token, .. } if token.expose() == "at_short")
    );
    // A call that has not refreshed yet would refresh: once, not in a loop.
    assert!(matches!(
        m.acquire(t(201), at(0), true),
        Acquire::Refresh { .. }
    ));
}

#[test]
fn tokens_expiring_in_a_lifetime() {
    let now = Timestamp::from_unix_seconds(1_000).unwrap();
    let t = Tokens::expiring_in("a", "r", Duration::from_secs(60), now);
    assert_eq!(t.expires_at.unwrap().unix_seconds(), 1_060);
    assert_eq!(t.refresh_token.as_ref().unwrap().expose(), "r");
    assert!(!t.expires_within(now, Duration::ZERO));
    let due = Tokens::new("a").with_expires_in(Duration::ZERO, now);
    assert!(due.expires_within(now, Duration::ZERO));
    let far = Tokens::new("a").with_expires_in(Duration::MAX, now);
    assert!(far.expires_at.unwrap() > now);
}

#[test]
fn expires_in_zero_means_no_expiry_and_huge_values_saturate() {
    let issued = |secs| IssuedTokens {
        access_token: "a".into(),
        refresh_token: Some("r".into()),
        expires_in: Some(secs),
        token_type: None,
    };
    assert_eq!(issued(0).at(t(100)).expires_at, None);
    for huge in [u64::MAX, 1_000_000_000_000] {
        let tokens = issued(huge).at(t(100));
        assert!(tokens.expires_at.unwrap() > t(100));
        let mut m = TokenManager::new(Duration::from_secs(30));
        m.set(Some(tokens));
        assert!(matches!(
            m.acquire(t(100), at(0), true),
            Acquire::Use { .. }
        ));
    }
}

#[test]
fn a_failed_refresh_is_reported_to_waiters_and_not_cached() {
    let mut m = TokenManager::new(Duration::ZERO);
    m.set(Some(expired()));
    let (epoch, generation) = begin(&mut m, 200);
    assert!(!m.finish(
        epoch,
        generation,
        Err(Error::Misuse(spaps_proto::Misuse::Other("boom")))
    ));
    assert!(matches!(m.outcome(epoch, at(0)), RefreshOutcome::Failed(_)));
    // The next call tries again.
    assert!(
        matches!(m.acquire(t(200), at(0), true), Acquire::Refresh { epoch: e, .. } if e == epoch + 1)
    );
}

#[test]
fn a_refresh_result_after_set_or_clear_is_dropped() {
    for replacement in [None, Some(Tokens::new("at_user_b"))] {
        let mut m = TokenManager::new(Duration::ZERO);
        m.set(Some(expired()));
        let (epoch, generation) = begin(&mut m, 200);
        assert!(m.set(replacement.clone()), "the refresh is cancelled");
        assert!(!m.refreshing());
        assert!(matches!(m.outcome(epoch, at(0)), RefreshOutcome::Settled));
        let stored = m.finish(epoch, generation, Ok(Tokens::new("at_stale")));
        assert!(!stored);
        assert_eq!(m.tokens(), replacement.as_ref());
    }
}

#[test]
fn an_abandoned_refresh_is_taken_up_by_the_next_caller() {
    let mut m = TokenManager::new(Duration::ZERO);
    m.set(Some(expired()));
    let (epoch, _) = begin(&mut m, 200);
    assert!(matches!(
        m.acquire(t(200), at(0), true),
        Acquire::Wait { .. }
    ));
    assert!(m.abandon(epoch));
    assert!(!m.abandon(epoch));
    assert!(matches!(m.outcome(epoch, at(0)), RefreshOutcome::Settled));
    assert!(
        matches!(m.acquire(t(200), at(0), true), Acquire::Refresh { epoch: e, .. } if e == epoch + 1)
    );
}

#[test]
fn a_waiter_past_the_lease_takes_the_refresh_over() {
    let mut m = TokenManager::new(Duration::ZERO).with_lease(Duration::from_secs(20));
    m.set(Some(expired()));
    let (epoch, generation) = begin(&mut m, 200);
    match m.acquire(t(200), at(19), true) {
        Acquire::Wait { until, .. } => assert_eq!(until, Some(at(20))),
        other => panic!("{other:?}"),
    }
    assert!(matches!(m.outcome(epoch, at(20)), RefreshOutcome::Settled));
    let (taken, _) = match m.acquire(t(220), at(20), true) {
        Acquire::Refresh {
            epoch, generation, ..
        } => (epoch, generation),
        other => panic!("{other:?}"),
    };
    assert_eq!(taken, epoch + 1);
    // The first owner answers late but first: its tokens are still newer than what
    // is stored, so they are kept; the take-over's later result is then dropped.
    assert!(m.finish(epoch, generation, Ok(Tokens::new("at_late"))));
    assert!(!m.finish(taken, generation, Ok(Tokens::new("at_taken"))));
    assert_eq!(m.tokens().unwrap().access_token.expose(), "at_late");
}

#[test]
fn unauthorized_uses_a_newer_token_without_refreshing() {
    let mut m = TokenManager::new(Duration::ZERO);
    m.set(Some(Tokens::new("a").with_refresh_token("r")));
    let Acquire::Use { generation, .. } = m.acquire(t(0), at(0), true) else {
        panic!()
    };
    m.set(Some(Tokens::new("b").with_refresh_token("r2")));
    assert!(
        matches!(m.on_unauthorized(generation, at(0), true), Acquire::Use { token, .. } if token.expose() == "b")
    );
    let g = m.generation();
    assert_eq!(m.on_unauthorized(g, at(0), false), Acquire::Missing);
    assert!(
        matches!(m.on_unauthorized(g, at(0), true), Acquire::Refresh { refresh_token, .. } if refresh_token.expose() == "r2")
    );
}

#[test]
fn no_refresh_token_means_the_old_token_is_sent() {
    let mut m = TokenManager::new(Duration::ZERO);
    m.set(Some(Tokens::new("a").with_expires_at(t(1))));
    assert!(matches!(
        m.acquire(t(100), at(0), true),
        Acquire::Use { .. }
    ));
    let g = m.generation();
    assert_eq!(m.on_unauthorized(g, at(0), true), Acquire::Missing);
}

#[test]
fn reload_adopts_newer_tokens_from_another_client() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(expired()));
    let written = m.generation();
    let (epoch, generation) = begin(&mut m, 200);
    let theirs = Tokens::new("at_theirs")
        .with_refresh_token("rt_theirs")
        .with_expires_at(t(4000));
    let reload = m.reload(
        epoch,
        generation,
        Some(theirs.clone()),
        written,
        t(200),
        at(0),
    );
    assert_eq!(reload, Reload::Adopted);
    assert_eq!(m.tokens(), Some(&theirs));
    assert!(!m.refreshing());
}

#[test]
fn reload_ignores_the_store_while_a_local_write_is_pending() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(expired()));
    let (epoch, generation) = begin(&mut m, 200);
    let older = Tokens::new("at_older").with_expires_at(t(4000));
    let reload = m.reload(
        epoch,
        generation,
        Some(older),
        generation - 1,
        t(200),
        at(0),
    );
    assert!(
        matches!(reload, Reload::Proceed { refresh_token, .. } if refresh_token.expose() == "rt_old")
    );
    assert_eq!(m.tokens().unwrap().access_token.expose(), "at_old");
}

#[test]
fn reload_of_due_tokens_refreshes_with_the_stores_refresh_token() {
    let mut m = TokenManager::new(Duration::from_secs(30));
    m.set(Some(expired()));
    let written = m.generation();
    let (epoch, generation) = begin(&mut m, 200);
    let theirs = Tokens::new("at_theirs")
        .with_refresh_token("rt_theirs")
        .with_expires_at(t(150));
    match m.reload(epoch, generation, Some(theirs), written, t(200), at(0)) {
        Reload::Proceed {
            refresh_token,
            generation: g,
        } => {
            assert_eq!(refresh_token.expose(), "rt_theirs");
            assert_eq!(g, m.generation());
        }
        other => panic!("{other:?}"),
    }
    assert!(m.refreshing());
}

#[test]
fn token_file_round_trips_and_rejects_garbage() {
    let t = expired();
    let bytes = encode_token_file(&t);
    let text = String::from_utf8(bytes.clone()).unwrap();
    assert!(text.contains("\"access_token\"") && text.contains("\"expires_at\""));
    assert_eq!(decode_token_file(&bytes).unwrap(), t);
    for bad in [&b""[..], b"{", b"[]", b"{\"refresh_token\":\"x\"}", b"\xff"] {
        let e = decode_token_file(bad).unwrap_err();
        assert!(matches!(e, Error::TokenStore(_)));
    }
}

#[test]
fn memory_store() {
    let s = MemoryTokenStore::new();
    assert_eq!(s.load().unwrap(), None);
    s.save(&expired()).unwrap();
    assert!(s.load().unwrap().is_some());
    s.clear().unwrap();
    assert_eq!(s.load().unwrap(), None);
}

#[test]
fn debug_never_shows_tokens() {
    let s = format!("{:?}", expired());
    assert!(!s.contains("at_old") && !s.contains("rt_old"));
}

/// One step of [`peek_agrees_with_acquire`]'s random histories.
#[derive(Debug, Clone)]
enum Step {
    Set(Option<i64>, bool),
    Acquire(i64, u64, bool),
    Finish(bool),
    Abandon,
}

fn any_step() -> impl proptest::strategy::Strategy<Value = Step> {
    use proptest::prelude::*;
    prop_oneof![
        (proptest::option::of(0i64..400), any::<bool>()).prop_map(|(e, r)| Step::Set(e, r)),
        (0i64..500, 0u64..50, any::<bool>()).prop_map(|(w, i, m)| Step::Acquire(w, i, m)),
        any::<bool>().prop_map(Step::Finish),
        Just(Step::Abandon),
    ]
}

proptest::proptest! {
    /// Whenever `peek` answers, `acquire` at the same time answers `Use` with the same
    /// header and generation, and changes nothing: a driver may answer the common case
    /// under a shared lock and be exactly right.
    #[test]
    fn peek_agrees_with_acquire(
        steps in proptest::collection::vec(any_step(), 1..30),
        probes in proptest::collection::vec((0i64..500, 0u64..50, proptest::bool::ANY), 1..8),
    ) {
        let mut m = TokenManager::new(Duration::from_secs(30)).with_lease(Duration::from_secs(10));
        let mut owned: Option<(u64, u64)> = None;
        for step in steps {
            match step {
                Step::Set(expiry, refresh) => {
                    let mut tokens = Tokens::new("at_x");
                    if let Some(e) = expiry { tokens = tokens.with_expires_at(t(e)); }
                    if refresh { tokens = tokens.with_refresh_token("rt_x"); }
                    m.set(Some(tokens));
                }
                Step::Acquire(wall, instant, may) => {
                    if let Acquire::Refresh { epoch, generation, .. } = m.acquire(t(wall), at(instant), may) {
                        owned = Some((epoch, generation));
                    }
                }
                Step::Finish(ok) => if let Some((epoch, generation)) = owned.take() {
                    let result = if ok {
                        Ok(Tokens::new("at_y").with_refresh_token("rt_y").with_expires_at(t(450)))
                    } else {
                        Err(Error::Misuse(spaps_proto::Misuse::Abandoned))
                    };
                    m.finish(epoch, generation, result);
                },
                Step::Abandon => if let Some((epoch, _)) = owned.take() {
                    m.abandon(epoch);
                },
            }
            for &(wall, instant, may) in &probes {
                let Some((header, generation)) = m.peek(t(wall), may) else { continue };
                let header = header.clone();
                let before = format!("{m:?}");
                let mut copy = m.clone();
                match copy.acquire(t(wall), at(instant), may) {
                    Acquire::Use { header: h, generation: g, .. } => {
                        proptest::prop_assert_eq!(h, header);
                        proptest::prop_assert_eq!(g, generation);
                    }
                    other => proptest::prop_assert!(false, "peek said use, acquire said {:?}", other),
                }
                proptest::prop_assert_eq!(format!("{copy:?}"), before);
            }
        }
    }
}
