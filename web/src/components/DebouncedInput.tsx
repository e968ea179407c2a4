import { useEffect, useState, type InputHTMLAttributes } from 'react';

type Props = Omit<InputHTMLAttributes<HTMLInputElement>, 'value' | 'onChange'> & {
  value: string;
  /** Called once typing pauses, not on every key: each commit is a request. */
  onCommit: (value: string) => void;
  delayMs?: number;
};

export function DebouncedInput({ value, onCommit, delayMs = 300, ...input }: Props) {
  const [text, setText] = useState(value);
  const [committed, setCommitted] = useState(value);
  // The value changed from outside (back button, a reset): show it.
  if (value !== committed) {
    setCommitted(value);
    setText(value);
  }
  useEffect(() => {
    if (text === committed) return;
    const timer = setTimeout(() => onCommit(text), delayMs);
    return () => clearTimeout(timer);
  }, [text, committed, onCommit, delayMs]);
  return <input {...input} value={text} onChange={(event) => setText(event.target.value)} />;
}
