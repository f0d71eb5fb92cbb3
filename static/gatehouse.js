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
