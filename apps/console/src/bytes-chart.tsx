import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes, formatBytesCompact, formatRate } from '@volume/migration-format';
import { binaryTicks } from './chart-axes';
import type { Sample } from './chart-samples';

const HEIGHT = 260;
/** CSS pixels between two ticks of a value axis, at the least. */
const TICK_SPACE = 40;

/** Round binary ticks (chart-axes) as many as the plot's height has room for, labelled exactly. */
function binaryAxis(unit: string): Pick<uPlot.Axis, 'splits' | 'values'> {
  return {
    splits: (u, _axis, min, max) => binaryTicks(min, max, u.bbox.height / uPlot.pxRatio / TICK_SPACE),
    values: (_u, ticks) => ticks.map((v) => `${formatBytesCompact(v)}${unit}`),
  };
}

/** Bytes over time (left axis) and the read rate (right axis), redrawn as samples arrive. */
export function BytesChart({ samples }: { samples: Sample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current as HTMLDivElement;
    // The box's content width (without its padding), so that the plot and its legend stay inside it.
    const width = () => {
      const style = getComputedStyle(el);
      return Math.max(300, el.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight));
    };
    plot.current = new uPlot(
      {
        width: width(),
        height: HEIGHT,
        series: [
          {},
          { label: 'Bytes processed', stroke: '#2563eb', width: 2, value: (_u, v) => formatBytes(v) },
          { label: 'Rate', stroke: '#d97706', width: 1, scale: 'rate', value: (_u, v) => formatRate(v) },
        ],
        axes: [{}, { ...binaryAxis(''), size: 80 }, { ...binaryAxis('/s'), side: 1, scale: 'rate', size: 90, grid: { show: false } }],
      },
      [[], [], []],
      el,
    );
    const resized = new ResizeObserver(() => {
      if (plot.current && plot.current.width !== width()) plot.current.setSize({ width: width(), height: HEIGHT });
    });
    resized.observe(el);
    return () => {
      resized.disconnect();
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([samples.map((s) => s.t), samples.map((s) => s.bytes), samples.map((s) => s.rate)]);
  }, [samples]);

  return <div ref={box} class="chart" role="img" aria-label="Bytes processed and read rate over time" data-points={samples.length} />;
}
