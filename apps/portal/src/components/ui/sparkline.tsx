import { cn } from '@/lib/cn';

interface SparklineProps {
  values: readonly number[];
  /** What the line shows, for screen readers (e.g. "API calls, last 6 months: 120,000 to 762,001"). */
  label: string;
  className?: string;
  width?: number;
  height?: number;
}

/**
 * A small trend line in inline SVG (no chart library: the dashboard stays in the initial bundle
 * without recharts). It scales to its container's width; the stroke takes the text colour.
 */
export function Sparkline({ values, label, className, width = 120, height = 32 }: SparklineProps) {
  if (values.length === 0) return null;
  const pad = 2;
  const max = Math.max(...values);
  const min = Math.min(0, ...values);
  const span = max - min || 1;
  const step = values.length > 1 ? (width - pad * 2) / (values.length - 1) : 0;
  const points = values.map((v, i) => [pad + i * step, height - pad - ((v - min) / span) * (height - pad * 2)] as const);
  const line = points.map(([x, y]) => `${x.toFixed(1)},${y.toFixed(1)}`).join(' ');
  const last = points[points.length - 1];
  const area = `${pad},${height - pad} ${line} ${(last?.[0] ?? pad).toFixed(1)},${height - pad}`;
  return (
    <svg
      role="img"
      aria-label={label}
      viewBox={`0 0 ${width} ${height}`}
      preserveAspectRatio="none"
      className={cn('h-8 w-full overflow-visible', className)}
      data-testid="sparkline"
    >
      <polygon points={area} className="fill-current opacity-10" />
      <polyline points={line} fill="none" stroke="currentColor" strokeWidth={1.5} strokeLinejoin="round" strokeLinecap="round" vectorEffect="non-scaling-stroke" />
    </svg>
  );
}
