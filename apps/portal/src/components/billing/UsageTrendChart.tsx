import { Bar, CartesianGrid, Cell, ComposedChart, Line, ReferenceLine, Tooltip, XAxis, YAxis } from 'recharts';
import { formatCount, formatQuantity, formatTrendPeriod } from '@/components/billing/usage-format';
import type { TrendGranularity, TrendPoint } from '@/types/usage';

export interface TrendLimits {
  softLimit: number | null;
  hardLimit: number | null;
}

/** A trend point as drawn and tabled: daily points also carry the period's running total. */
export interface TrendRow extends TrendPoint {
  label: string;
  runningTotal: number;
}

export function trendRows(points: readonly TrendPoint[], granularity: TrendGranularity): TrendRow[] {
  let runningTotal = 0;
  return points.map((point) => {
    runningTotal += point.quantity;
    return { ...point, label: formatTrendPeriod(point.period, granularity === 'month' ? 'short' : 'long'), runningTotal };
  });
}

/** One sentence a screen reader gets instead of the bars. */
export function trendDescription(rows: readonly TrendRow[], granularity: TrendGranularity, unit: string, limits: TrendLimits): string {
  if (rows.length === 0) return 'No usage recorded in this range.';
  const peak = rows.reduce((top, row) => (row.quantity > top.quantity ? row : top));
  const total = rows.at(-1)?.runningTotal ?? 0;
  const parts =
    granularity === 'month'
      ? [`Highest month: ${formatTrendPeriod(peak.period)} with ${formatQuantity(peak.quantity, unit)}.`]
      : [`${formatQuantity(total, unit)} so far this period; busiest day ${formatTrendPeriod(peak.period)} with ${formatQuantity(peak.quantity, unit)}.`];
  if (limits.hardLimit !== null) parts.push(`Hard limit ${formatQuantity(limits.hardLimit, unit)} per period.`);
  if (limits.softLimit !== null) parts.push(`Soft limit ${formatQuantity(limits.softLimit, unit)}.`);
  return parts.join(' ');
}

const compact = new Intl.NumberFormat(undefined, { notation: 'compact', maximumFractionDigits: 1 });
const tick = { fill: 'var(--muted-foreground)', fontSize: 12 };
/* The same amber and red read on both themes; the bars take the theme's primary colour. */
const softColour = 'oklch(0.72 0.16 65)';
const hardColour = 'var(--destructive)';

function barColour(quantity: number, { softLimit, hardLimit }: TrendLimits): string {
  if (hardLimit !== null && quantity >= hardLimit) return hardColour;
  if (softLimit !== null && quantity >= softLimit) return softColour;
  return 'var(--primary)';
}

function Swatch({ colour }: { colour: string }) {
  return <span className="size-3 shrink-0 rounded-sm" style={{ background: colour }} />;
}

function LineSwatch({ colour, dashed = false }: { colour: string; dashed?: boolean }) {
  return <span className="w-5 shrink-0 border-t-2" style={{ borderColor: colour, borderTopStyle: dashed ? 'dashed' : 'solid' }} />;
}

/** Under the plot rather than on the lines, where a label would hide behind the bars. */
function ChartLegend({ daily, unit, limits }: { daily: boolean; unit: string; limits: TrendLimits }) {
  const items = daily
    ? [
        { key: 'day', swatch: <Swatch colour="var(--primary)" />, text: `Per day (${unit})` },
        { key: 'total', swatch: <LineSwatch colour="var(--foreground)" />, text: `Period total so far (${unit})` },
      ]
    : [
        { key: 'within', swatch: <Swatch colour="var(--primary)" />, text: 'Month within limits' },
        ...(limits.softLimit !== null ? [{ key: 'over-soft', swatch: <Swatch colour={softColour} />, text: 'Over the soft limit' }] : []),
        ...(limits.hardLimit !== null ? [{ key: 'over-hard', swatch: <Swatch colour={hardColour} />, text: 'At or over the hard limit' }] : []),
      ];
  if (limits.softLimit !== null) {
    items.push({ key: 'soft', swatch: <LineSwatch colour={softColour} dashed />, text: `Soft limit ${formatCount(limits.softLimit)}` });
  }
  if (limits.hardLimit !== null) {
    items.push({ key: 'hard', swatch: <LineSwatch colour={hardColour} />, text: `Hard limit ${formatCount(limits.hardLimit)}` });
  }
  return (
    <div className="mt-2 flex flex-wrap justify-center gap-x-5 gap-y-1.5 px-2 text-xs text-muted-foreground" aria-hidden="true">
      {items.map((item) => (
        <span key={item.key} className="inline-flex items-center gap-1.5">
          {item.swatch}
          {item.text}
        </span>
      ))}
    </div>
  );
}

interface UsageTrendChartProps {
  rows: readonly TrendRow[];
  granularity: TrendGranularity;
  unit: string;
  limits: TrendLimits;
  /** Id of the heading that names the chart, and of the sentence that sums it up. */
  labelledBy: string;
  describedBy: string;
}

/**
 * Monthly bars against the per-period limits, or daily bars with the period's running total
 * (the line the limits apply to) on the same scale. Limits are reference lines; monthly bars
 * past a limit take its colour.
 */
export function UsageTrendChart({ rows, granularity, unit, limits, labelledBy, describedBy }: UsageTrendChartProps) {
  const daily = granularity === 'day';
  const limitLines = [
    { key: 'soft', value: limits.softLimit, colour: softColour, dash: '6 4' },
    { key: 'hard', value: limits.hardLimit, colour: hardColour, dash: undefined },
  ];
  return (
    <figure aria-labelledby={labelledBy} aria-describedby={describedBy} className="m-0" data-testid="usage-trend-chart">
      <ComposedChart
        responsive
        data={[...rows]}
        style={{ width: '100%', height: 320 }}
        margin={{ top: 16, right: 16, bottom: 0, left: 0 }}
      >
        <CartesianGrid stroke="var(--border)" vertical={false} />
        <XAxis dataKey="label" tick={tick} tickLine={false} axisLine={{ stroke: 'var(--border)' }} minTickGap={12} />
        <YAxis yAxisId="quantity" tick={tick} tickLine={false} axisLine={false} tickFormatter={(value: number) => compact.format(value)} width={48} />
        <Tooltip
          cursor={{ fill: 'var(--accent)', opacity: 0.6 }}
          contentStyle={{
            background: 'var(--popover)',
            border: '1px solid var(--border)',
            borderRadius: 8,
            color: 'var(--popover-foreground)',
            fontSize: 12,
          }}
          labelStyle={{ color: 'var(--popover-foreground)', fontWeight: 600 }}
          formatter={(value) => formatQuantity(Number(value), unit)}
        />
        <Bar yAxisId="quantity" dataKey="quantity" name={daily ? `Per day (${unit})` : `Per month (${unit})`} fill="var(--primary)" radius={[4, 4, 0, 0]} maxBarSize={48}>
          {daily ? null : rows.map((row) => <Cell key={row.period} fill={barColour(row.quantity, limits)} />)}
        </Bar>
        {daily ? (
          <Line
            yAxisId="quantity"
            dataKey="runningTotal"
            name={`Period total (${unit})`}
            type="monotone"
            stroke="var(--foreground)"
            strokeWidth={2}
            dot={false}
          />
        ) : null}
        {limitLines.map((line) =>
          line.value === null ? null : (
            <ReferenceLine
              key={line.key}
              yAxisId="quantity"
              y={line.value}
              stroke={line.colour}
              strokeWidth={2}
              strokeDasharray={line.dash}
              ifOverflow="extendDomain"
            />
          ),
        )}
      </ComposedChart>
      <ChartLegend daily={daily} unit={unit} limits={limits} />
    </figure>
  );
}
