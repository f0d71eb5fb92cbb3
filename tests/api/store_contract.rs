//! One story through every `Store` method that the HTTP tests do not reach
//! directly: what any backend must do.

use gatehouse::domain::response_mode::ResponseMode;
use gatehouse::domain::scope::ScopeSet;
use gatehouse::domain::security_event::{SecurityEvent, SecurityEventKind};
use gatehouse::domain::token::{FamilyId, PlainSecret, SecretKind};
use gatehouse::store::{BoundRequest, ClientUpdate, Store, ThrottleRecord};

use crate::helpers::*;

#[tokio::test]
async fn applications_grants_throttles_and_purging_behave_as_the_trait_says() {
    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.store;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let first = app.register_client(&ann, "user_info").await;
    let second = app.register_client(&ann, "user_info projects").await;

    // Applications: listed newest first, only the owner may change them.
    let listed: Vec<_> = store.list_clients_by_owner(ann.user.id).await.unwrap().into_iter().map(|c| c.id).collect();
    assert_eq!(listed, [second.client.id, first.client.id]);
    assert!(store.list_clients_by_owner(bob.user.id).await.unwrap().is_empty());
    let update = ClientUpdate {
        name: "Renamed".into(),
        homepage: "https://renamed.example".into(),
        description: "new".into(),
        redirect_uris: vec![CALLBACK.into(), "https://client.example.com/two".into()],
        scopes: ScopeSet::parse("user_info emails").unwrap(),
        id_token_alg: gatehouse::domain::oidc::SigningAlg::EdDsa,
        post_logout_redirect_uris: vec!["https://client.example.com/bye".into()],
    };
    assert!(store.update_client(first.client.id, bob.user.id, &update, T0).await.unwrap().is_none());
    let updated = store.update_client(first.client.id, ann.user.id, &update, T0 + 1).await.unwrap().unwrap();
    assert_eq!(updated.name, "Renamed");
    assert_eq!(updated.redirect_uris.len(), 2);
    assert_eq!(updated.post_logout_redirect_uris, ["https://client.example.com/bye"]);
    assert_eq!(updated.scopes.to_string(), "user_info emails");
    assert_eq!(updated.id_token_alg, gatehouse::domain::oidc::SigningAlg::EdDsa);

    // Secret reset: the stored hash changes only for the owner.
    let secret = PlainSecret::generate(SecretKind::ClientSecret);
    assert!(
        !store.reset_client_secret(first.client.id, bob.user.id, &secret.hash(), &secret.hint(), T0).await.unwrap()
    );
    assert!(store.reset_client_secret(first.client.id, ann.user.id, &secret.hash(), &secret.hint(), T0).await.unwrap());
    let reloaded = store.find_client(first.id()).await.unwrap().unwrap();
    assert!(reloaded.secret_hash.unwrap().ct_eq(&secret.hash()));
    assert_eq!(reloaded.secret_hint.as_deref(), Some(secret.hint().as_str()));

    // Grants: listed with the client, revocable once.
    store.save_grant(bob.user.id, first.client.id, &ScopeSet::parse("user_info").unwrap(), T0, None).await.unwrap();
    store.save_grant(bob.user.id, second.client.id, &ScopeSet::parse("projects").unwrap(), T0 + 5, None).await.unwrap();
    let grants = store.list_grants_for_user(bob.user.id).await.unwrap();
    assert_eq!(grants.iter().map(|g| g.client.id).collect::<Vec<_>>(), [second.client.id, first.client.id]);
    assert_eq!(grants[0].scopes.to_string(), "projects");
    assert_eq!(grants[0].updated_at, T0 + 5);
    let code = PlainSecret::generate(SecretKind::AuthorizationCode);
    let request = BoundRequest {
        client_pk: first.client.id,
        user_id: bob.user.id,
        redirect_uri: CALLBACK.into(),
        redirect_uri_given: true,
        scopes: ScopeSet::parse("user_info").unwrap(),
        state: None,
        challenge: None,
        nonce: None,
        auth: None,
        response_mode: Default::default(),
    };
    // A parked request keeps its response mode; a code has none to keep.
    let parked = PlainSecret::generate(SecretKind::Consent);
    let form_post = BoundRequest { response_mode: ResponseMode::FormPost, ..request.clone() };
    store.insert_consent_request(&parked.hash(), &form_post, T0 + 600).await.unwrap();
    let taken = store.take_consent_request(&parked.hash(), T0).await.unwrap().unwrap();
    assert_eq!(taken.response_mode, ResponseMode::FormPost);
    store.insert_authorization_code(&code.hash(), &request, &FamilyId::new("family"), T0, T0 + 600).await.unwrap();
    let revoked = SecurityEvent::new(bob.user.id, SecurityEventKind::ApplicationRevoked, None).about("First");
    assert!(store.revoke_grant(bob.user.id, first.client.id, T0, &revoked).await.unwrap());
    assert!(!store.revoke_grant(bob.user.id, first.client.id, T0, &revoked).await.unwrap());
    let log = store.list_security_events(bob.user.id, 10).await.unwrap();
    assert_eq!(log.len(), 1, "the event is written only with a revocation that happened");
    assert_eq!((log[0].kind, log[0].detail.as_str()), (SecurityEventKind::ApplicationRevoked, "First"));
    assert!(store.find_authorization_code(&code.hash()).await.unwrap().is_none(), "unused codes go with the grant");
    assert_eq!(store.find_grant(bob.user.id, first.client.id).await.unwrap(), None);

    // Throttling: keys read as zeros until written, the step sees every
    // key's state in order and writes what it returns, `None` writes nothing.
    let keys = ["address:192.0.2.1", "account:bob@example.com"];
    assert_eq!(store.find_throttle(keys[1]).await.unwrap(), None);
    let bump = |states: &[ThrottleRecord]| {
        Some(states.iter().map(|s| ThrottleRecord { failures: s.failures + 1, ..*s }).collect())
    };
    let read = store.update_throttles(&keys, Box::new(bump)).await.unwrap();
    assert_eq!(read, vec![ThrottleRecord::default(); 2]);
    let read = store.update_throttles(&keys, Box::new(bump)).await.unwrap();
    assert_eq!(read.iter().map(|s| s.failures).collect::<Vec<_>>(), [1, 1]);
    store.update_throttles(&keys, Box::new(|_: &[ThrottleRecord]| None)).await.unwrap();
    assert_eq!(store.find_throttle(keys[1]).await.unwrap().unwrap().failures, 2, "None writes nothing");
    let full =
        ThrottleRecord { failures: 3, last_failure_at: T0, locked_until: T0 + 2, in_flight: 1, in_flight_since: T0 };
    store.update_throttles(&keys[1..], Box::new(move |_: &[ThrottleRecord]| Some(vec![full]))).await.unwrap();
    assert_eq!(store.find_throttle(keys[1]).await.unwrap(), Some(full), "every field round-trips");
    store.clear_throttle(keys[1]).await.unwrap();
    assert_eq!(store.find_throttle(keys[1]).await.unwrap(), None);

    // Deleting: owner only; the application's rows go with it.
    assert!(!store.delete_client(second.client.id, bob.user.id).await.unwrap());
    assert!(store.delete_client(second.client.id, ann.user.id).await.unwrap());
    assert!(store.find_client(second.id()).await.unwrap().is_none());
    assert!(store.list_grants_for_user(bob.user.id).await.unwrap().is_empty());

    // Purging removes what has expired and nothing else.
    let fresh = PlainSecret::generate(SecretKind::AuthorizationCode);
    let stale = PlainSecret::generate(SecretKind::AuthorizationCode);
    store.insert_authorization_code(&fresh.hash(), &request, &FamilyId::new("f1"), T0, T0 + 600).await.unwrap();
    store.insert_authorization_code(&stale.hash(), &request, &FamilyId::new("f2"), T0 - 700, T0 - 100).await.unwrap();
    let purged = store.purge_expired(T0, 1000).await.unwrap();
    assert!(purged >= 1);
    assert!(store.find_authorization_code(&stale.hash()).await.unwrap().is_none());
    assert!(store.find_authorization_code(&fresh.hash()).await.unwrap().is_some());
}

#[tokio::test]
async fn revoking_all_of_an_applications_tokens_stops_every_one() {
    let app = TestApp::spawn().await;
    let ann = app.create_user("ann").await;
    let client = app.register_client(&ann, "user_info").await;
    let first = app.password_grant(&ann, &client, "user_info").await;
    let second = app.password_grant(&ann, &client, "user_info").await;

    let revoked =
        app.store.revoke_client_tokens(client.client.id, gatehouse::clock::Clock::now(&*app.clock)).await.unwrap();

    assert_eq!(revoked, 4, "two access and two refresh tokens");
    for tokens in [first, second] {
        assert_eq!(app.api_get("/api/v5/user", tokens["access_token"].as_str().unwrap()).await.status(), 401);
    }
}

#[tokio::test]
async fn passkeys_and_their_ceremonies_behave_as_the_trait_says() {
    use gatehouse::domain::passkey::CeremonyKind;
    use gatehouse::store::{NewPasskey, PasskeyCeremony, StoreError};

    let app = TestApp::spawn().await;
    let store: &dyn Store = &*app.store;
    let ann = app.create_user("ann").await;
    let bob = app.create_user("bob").await;
    let event = |user: &TestUser, kind| SecurityEvent::new(user.user.id, kind, None);
    let new = |credential: u8, name: &str, at| NewPasskey {
        user_id: ann.user.id,
        credential_id: vec![credential; 16],
        user_handle: vec![9; 16],
        name: name.into(),
        passkey: "{}".into(),
        created_at: at,
    };

    // Listed oldest first; a credential belongs to one passkey only.
    let first =
        store.insert_passkey(&new(1, "Laptop", T0), &event(&ann, SecurityEventKind::PasskeyAdded)).await.unwrap();
    let second = store.insert_passkey(&new(2, "Phone", T0 + 1), &event(&ann, SecurityEventKind::PasskeyAdded)).await;
    let second = second.unwrap();
    let twice = store.insert_passkey(&new(1, "Again", T0 + 2), &event(&ann, SecurityEventKind::PasskeyAdded)).await;
    assert!(matches!(twice, Err(StoreError::Conflict { constraint: "passkeys_credential_id_key" })), "{twice:?}");
    let listed = store.list_passkeys(ann.user.id).await.unwrap();
    assert_eq!(
        listed.iter().map(|p| (p.id, p.name.as_str())).collect::<Vec<_>>(),
        [(first, "Laptop"), (second, "Phone")]
    );
    assert!(store.list_passkeys(bob.user.id).await.unwrap().is_empty());
    let found = store.find_passkey_by_credential(&[2; 16]).await.unwrap().unwrap();
    assert_eq!(
        (found.id, found.user_id, found.user_handle, found.last_used_at),
        (second, ann.user.id, vec![9; 16], None)
    );
    assert!(store.find_passkey_by_credential(&[3; 16]).await.unwrap().is_none());

    // Only the owner renames or removes; each change records its event.
    let renamed = event(&bob, SecurityEventKind::PasskeyRenamed);
    assert!(!store.rename_passkey(first, bob.user.id, "Mine", &renamed, T0).await.unwrap());
    let renamed = event(&ann, SecurityEventKind::PasskeyRenamed).about("Work");
    assert!(store.rename_passkey(first, ann.user.id, "Work", &renamed, T0 + 2).await.unwrap());
    let removed = event(&bob, SecurityEventKind::PasskeyRemoved);
    assert_eq!(store.remove_passkey(second, bob.user.id, &removed, T0).await.unwrap(), None);
    let removed = event(&ann, SecurityEventKind::PasskeyRemoved);
    assert_eq!(store.remove_passkey(second, ann.user.id, &removed, T0 + 3).await.unwrap().as_deref(), Some("Phone"));
    let log = store.list_security_events(ann.user.id, 10).await.unwrap();
    let log: Vec<_> = log.iter().map(|e| (e.kind, e.detail.as_str())).collect();
    assert_eq!(log[..2], [(SecurityEventKind::PasskeyRemoved, "Phone"), (SecurityEventKind::PasskeyRenamed, "Work")]);
    assert!(store.list_security_events(bob.user.id, 10).await.unwrap().is_empty());

    // A use stores the updated passkey; a removed one takes none.
    assert!(store.record_passkey_use(first, "{\"counter\":1}", T0 + 9).await.unwrap());
    let used = store.find_passkey_by_credential(&[1; 16]).await.unwrap().unwrap();
    assert_eq!((used.passkey.as_str(), used.last_used_at), ("{\"counter\":1}", Some(T0 + 9)));
    assert!(!store.record_passkey_use(second, "{}", T0 + 9).await.unwrap());

    // Ceremonies: taken once, of their own kind, before they lapse.
    let ceremony = |kind, user_id| PasskeyCeremony { kind, user_id, state: "{\"s\":1}".into(), expires_at: T0 + 300 };
    let id = PlainSecret::generate(SecretKind::PasskeyCeremony).hash();
    store.insert_passkey_ceremony(&id, &ceremony(CeremonyKind::Register, Some(ann.user.id))).await.unwrap();
    assert_eq!(store.take_passkey_ceremony(&id, CeremonyKind::SignIn, T0).await.unwrap(), None);
    let taken = store.take_passkey_ceremony(&id, CeremonyKind::Register, T0).await.unwrap();
    assert_eq!(taken, Some(ceremony(CeremonyKind::Register, Some(ann.user.id))));
    assert_eq!(store.take_passkey_ceremony(&id, CeremonyKind::Register, T0).await.unwrap(), None);
    let lapsing = PlainSecret::generate(SecretKind::PasskeyCeremony).hash();
    store.insert_passkey_ceremony(&lapsing, &ceremony(CeremonyKind::SignIn, None)).await.unwrap();
    assert_eq!(store.take_passkey_ceremony(&lapsing, CeremonyKind::SignIn, T0 + 300).await.unwrap(), None);

    // Deleting the account takes its passkeys with it.
    assert!(store.delete_user(ann.user.id).await.unwrap());
    assert!(store.find_passkey_by_credential(&[1; 16]).await.unwrap().is_none());
}
