import { Link } from 'react-router';

export function NotFoundPage() {
  return (
    <section className="page">
      <h1>Nothing here</h1>
      <p>
        This address is not a Battle Station page. <Link to="/">Back to the roster</Link>.
      </p>
    </section>
  );
}
