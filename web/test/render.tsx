import { render } from '@testing-library/react';
import { MemoryRouter, useLocation } from 'react-router';
import { SWRConfig } from 'swr';
import { swrConfig } from '../src/api/swr';
import { App } from '../src/App';

/** Where the app's router is now: "/login?next=%2Fflags". */
function Location() {
  const location = useLocation();
  return <output data-testid="location">{location.pathname + location.search}</output>;
}

/** The whole app at `path`, with a cache of its own (no answer leaks between tests). */
export function renderApp(path: string) {
  return render(
    <SWRConfig value={{ ...swrConfig, provider: () => new Map(), dedupingInterval: 0 }}>
      <MemoryRouter initialEntries={[path]}>
        <App />
        <Location />
      </MemoryRouter>
    </SWRConfig>,
  );
}
