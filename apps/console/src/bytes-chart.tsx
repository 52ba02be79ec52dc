import { useEffect, useRef } from 'preact/hooks';
import uPlot from 'uplot';
import 'uplot/dist/uPlot.min.css';
import { formatBytes, formatRate } from '@volume/migration-format';
import type { Sample } from './chart-samples';

/** Bytes over time (left axis) and the read rate (right axis), redrawn as samples arrive. */
export function BytesChart({ samples }: { samples: Sample[] }) {
  const box = useRef<HTMLDivElement>(null);
  const plot = useRef<uPlot | null>(null);

  useEffect(() => {
    const el = box.current as HTMLDivElement;
    const width = () => Math.max(300, el.clientWidth);
    plot.current = new uPlot(
      {
        width: width(),
        height: 260,
        series: [
          {},
          { label: 'Bytes processed', stroke: '#2563eb', width: 2, value: (_u, v) => formatBytes(v) },
          { label: 'Rate', stroke: '#d97706', width: 1, scale: 'rate', value: (_u, v) => formatRate(v) },
        ],
        axes: [{}, { values: (_u, vals) => vals.map((v) => formatBytes(v)), size: 80 }, { side: 1, scale: 'rate', values: (_u, vals) => vals.map((v) => formatRate(v)), size: 90, grid: { show: false } }],
      },
      [[], [], []],
      el,
    );
    const onResize = () => plot.current?.setSize({ width: width(), height: 260 });
    addEventListener('resize', onResize);
    return () => {
      removeEventListener('resize', onResize);
      plot.current?.destroy();
      plot.current = null;
    };
  }, []);

  useEffect(() => {
    plot.current?.setData([samples.map((s) => s.t), samples.map((s) => s.bytes), samples.map((s) => s.rate)]);
  }, [samples]);

  return <div ref={box} class="chart" role="img" aria-label="Bytes processed and read rate over time" data-points={samples.length} />;
}
