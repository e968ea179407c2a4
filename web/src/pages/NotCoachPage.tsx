import { useState } from 'react';
import { useLogout } from '../auth/actions';
import { FullPage } from '../components/Layout';
import { ErrorNotice } from '../components/States';

/** A Discord account that logged in but is not on the practice's coach allowlist. */
export function NotCoachPage({ reason }: { reason: string }) {
  const logout = useLogout();
  const [error, setError] = useState<unknown>(null);
  return (
    <FullPage title="This account is not a coach here">
      <p>
        You are logged in with Discord, but Battle Station is only for this practice’s
        coaches, and this account is not one of them.
      </p>
      <p className="muted">{reason}</p>
      <p>
        If you coach here, ask the owner to add your Discord id to the coach list. Or log out
        and log in with your coaching account.
      </p>
      <button type="button" className="primary" onClick={() => logout().catch(setError)}>
        Log out
      </button>
      {error ? <ErrorNotice error={error} /> : null}
    </FullPage>
  );
}
