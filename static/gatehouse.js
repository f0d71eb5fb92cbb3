// Copy buttons: <button data-copy="ID"> copies the value of the input #ID.
// Pages work without this script; it only adds the convenience.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button[data-copy]");
  if (!button) return;
  const field = document.getElementById(button.dataset.copy);
  if (!field) return;
  field.select();
  const done = () => { button.dataset.copied = "true"; };
  if (navigator.clipboard) {
    navigator.clipboard.writeText(field.value).then(done, () => { document.execCommand("copy"); done(); });
  } else {
    document.execCommand("copy");
    done();
  }
});

// response_mode=form_post: the page holding the authorization response
// posts it to the application at once. Without script, its button does.
for (const form of document.querySelectorAll("form[data-autosubmit]")) {
  form.submit();
}

// Passkeys (WebAuthn). The server answers the options as JSON with binary
// fields in base64url; navigator.credentials wants ArrayBuffers, and its
// answer goes back as JSON with base64url again (webauthn-rs reads it).
const b64uToBuffer = (text) => {
  const base64 = text.replace(/-/g, "+").replace(/_/g, "/");
  const binary = atob(base64 + "===".slice((base64.length + 3) % 4));
  return Uint8Array.from(binary, (c) => c.charCodeAt(0)).buffer;
};
const bufferToB64u = (buffer) => {
  let binary = "";
  for (const byte of new Uint8Array(buffer)) binary += String.fromCharCode(byte);
  return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
};
const credentialJson = (credential) => {
  const r = credential.response;
  const response = { clientDataJSON: bufferToB64u(r.clientDataJSON) };
  if (r.attestationObject) response.attestationObject = bufferToB64u(r.attestationObject);
  if (r.authenticatorData) response.authenticatorData = bufferToB64u(r.authenticatorData);
  if (r.signature) response.signature = bufferToB64u(r.signature);
  if (r.userHandle) response.userHandle = bufferToB64u(r.userHandle);
  if (r.getTransports) response.transports = r.getTransports();
  return JSON.stringify({
    id: credential.id,
    rawId: bufferToB64u(credential.rawId),
    type: credential.type,
    response,
    extensions: credential.getClientExtensionResults ? credential.getClientExtensionResults() : {},
  });
};
// POSTs a form of `fields`; the parsed JSON answer, or { error } when the
// server answered a page (an expired form, say).
const postForm = async (url, fields, fallback) => {
  const response = await fetch(url, {
    method: "POST",
    headers: { "Content-Type": "application/x-www-form-urlencoded" },
    body: new URLSearchParams(fields),
    credentials: "same-origin",
  });
  try {
    const body = await response.json();
    return response.ok ? body : { error: body.error || fallback };
  } catch (_) {
    return { error: fallback };
  }
};
const showError = (element, message) => {
  element.textContent = message;
  element.hidden = false;
};

// /settings/security: Add a passkey.
const passkeyForm = document.getElementById("passkey-add");
if (passkeyForm) {
  const section = document.getElementById("passkeys");
  const error = document.getElementById("passkey-add-error");
  const add = async () => {
    if (!window.PublicKeyCredential) return showError(error, section.dataset.passkeyUnsupported);
    const csrf = passkeyForm.elements.csrf_token.value;
    const name = passkeyForm.elements.name.value.trim();
    if (!name) return showError(error, section.dataset.passkeyBadName);
    const options = await postForm(section.dataset.passkeyRegister, { csrf_token: csrf }, section.dataset.passkeyCancelled);
    if (options.error) return showError(error, options.error);
    const pk = options.publicKey;
    pk.challenge = b64uToBuffer(pk.challenge);
    pk.user.id = b64uToBuffer(pk.user.id);
    for (const excluded of pk.excludeCredentials || []) excluded.id = b64uToBuffer(excluded.id);
    let credential;
    try {
      credential = await navigator.credentials.create({ publicKey: pk });
    } catch (_) {
      return showError(error, section.dataset.passkeyCancelled);
    }
    const fields = { csrf_token: csrf, name, credential: credentialJson(credential) };
    const done = await postForm(section.dataset.passkeyFinish, fields, section.dataset.passkeyCancelled);
    if (done.error) return showError(error, done.error);
    window.location.assign(done.redirect);
  };
  passkeyForm.addEventListener("submit", (event) => {
    event.preventDefault();
    error.hidden = true;
    // A failed request (the network, say) reads like a cancelled prompt.
    add().catch(() => showError(error, section.dataset.passkeyCancelled));
  });
}

// /login: Sign in with a passkey (a discoverable credential: no email).
const passkeySignIn = document.getElementById("passkey-sign-in");
if (passkeySignIn) {
  const data = passkeySignIn.dataset;
  const error = document.getElementById("passkey-sign-in-error");
  const signIn = async () => {
    if (!window.PublicKeyCredential) return showError(error, data.passkeyUnsupported);
    const options = await postForm(data.passkeyOptions, { csrf_token: data.csrfToken }, data.passkeyCancelled);
    if (options.error) return showError(error, options.error);
    const pk = options.publicKey;
    pk.challenge = b64uToBuffer(pk.challenge);
    for (const allowed of pk.allowCredentials || []) allowed.id = b64uToBuffer(allowed.id);
    let credential;
    try {
      credential = await navigator.credentials.get({ publicKey: pk });
    } catch (_) {
      return showError(error, data.passkeyCancelled);
    }
    const fields = { csrf_token: data.csrfToken, return_to: data.returnTo, credential: credentialJson(credential) };
    const done = await postForm(data.passkeyFinish, fields, data.passkeyCancelled);
    if (done.error) return showError(error, done.error);
    window.location.assign(done.redirect);
  };
  document.getElementById("passkey-sign-in-button").addEventListener("click", () => {
    error.hidden = true;
    signIn().catch(() => showError(error, data.passkeyCancelled));
  });
}
