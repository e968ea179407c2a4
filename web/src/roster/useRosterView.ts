import { useState } from 'react';
import { useSearchParams } from 'react-router';
import { readView, writeView, type RosterView } from './query';

/** The roster's view, kept in the address. The router applies an address change in a
 * transition, so the view is also held here: a ticked box stays ticked at once instead
 * of springing back until the transition lands. A change of address from elsewhere
 * (back, forward, a link) still wins. */
export function useRosterView(): [RosterView, (view: RosterView) => void] {
  const [params, setParams] = useSearchParams();
  const address = params.toString();
  const [shown, setShown] = useState(() => ({ address, view: readView(params) }));
  const [seen, setSeen] = useState(address);
  if (address !== seen) {
    setSeen(address);
    if (address !== shown.address) setShown({ address, view: readView(params) });
  }
  const show = (view: RosterView) => {
    const next = writeView(view);
    setShown({ address: next.toString(), view });
    setParams(next, { replace: true });
  };
  return [shown.view, show];
}
