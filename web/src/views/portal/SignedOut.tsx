// The portal before sign-in (SPEC W1). An invitation's link (/portal/?account=ID) goes straight on to the
// sign-in page with the account filled in, once per tab.
import { useEffect } from "preact/hooks";
import { signIn } from "../../auth";
import { Heading } from "../../components/Heading";
import { AUTH } from "../../config";

const AUTO = "hourbank.signin.auto";

export function SignedOut({ failed }: { failed: string }) {
  const hint = new URLSearchParams(window.location.search).get("account");
  const auto = Boolean(hint && !window.sessionStorage.getItem(AUTO));
  useEffect(() => {
    if (!auto) return;
    window.sessionStorage.setItem(AUTO, "1");
    void signIn(hint);
  }, []);
  if (auto) return null;
  return (
    <>
      <Heading>Your support hours</Heading>
      {failed ? (
        <p class="errors" role="alert">
          {failed}
        </p>
      ) : null}
      <p>Sign in to see the hours you have left, every ticket and each minute logged on it, your statements and invoices.</p>
      {AUTH.local ? (
        <p class="notice" id="local-note">
          Local stack: signing in uses the local stand-in for the user pool's login page.
        </p>
      ) : null}
      <button type="button" id="sign-in" onClick={() => void signIn(hint)}>
        Sign in
      </button>
      <p>
        New customer? <a href="/">Buy hours</a> — you get an e-mail invitation to sign in.
      </p>
    </>
  );
}
