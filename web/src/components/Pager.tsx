import { number } from '../format';

interface Props {
  total: number;
  limit: number;
  offset: number;
  onOffset: (offset: number) => void;
  sizes?: number[];
  onLimit?: (limit: number) => void;
  label: string;
}

/** "51–100 of 1,000" with previous/next and, optionally, the page size. */
export function Pager({ total, limit, offset, onOffset, sizes, onLimit, label }: Props) {
  if (total === 0) return null;
  const last = Math.min(offset + limit, total);
  return (
    <nav className="pager" aria-label={`${label} pages`}>
      <span aria-live="polite">
        {number(offset + 1)}–{number(last)} of {number(total)}
      </span>
      <button type="button" onClick={() => onOffset(Math.max(0, offset - limit))} disabled={offset === 0}>
        Previous
      </button>
      <button type="button" onClick={() => onOffset(offset + limit)} disabled={last >= total}>
        Next
      </button>
      {sizes && onLimit && (
        <label>
          Per page{' '}
          <select value={limit} onChange={(event) => onLimit(Number(event.target.value))}>
            {sizes.map((size) => (
              <option key={size} value={size}>
                {size}
              </option>
            ))}
          </select>
        </label>
      )}
    </nav>
  );
}
