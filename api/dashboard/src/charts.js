// Charts, drawn by Apache ECharts (vendor/echarts.min.js, from the npm
// package pinned in package-lock.json; loaded as the global `echarts`).
//
// Each chart element also carries its figures as data-values (JSON of
// {category: value} or {series: {category: value}}), so that tests and
// assistive tools can read what is drawn.

const PALETTE = ['#1f6feb', '#2da44e', '#d29922', '#cf222e', '#8250df', '#1b7c83', '#bf3989', '#6e7781', '#fb8f44'];
const instances = new Map();

function instance(el) {
  let chart = instances.get(el);
  if (chart && chart.isDisposed()) chart = null;
  if (!chart) {
    chart = globalThis.echarts.init(el, null, {renderer: 'canvas'});
    instances.set(el, chart);
    new ResizeObserver(() => chart.resize()).observe(el);
  }
  return chart;
}

export function disposeCharts(root) {
  for (const [el, chart] of instances) {
    if (!root || root.contains(el)) {
      chart.dispose();
      instances.delete(el);
    }
  }
}

const baseText = {fontFamily: 'system-ui, -apple-system, "Segoe UI", "Noto Sans CJK SC", "PingFang SC", sans-serif'};

function narrow(el) {
  return el.clientWidth < 480;
}

// Bars: categories on one axis, one bar per series (stacked when asked).
// series: [{name, data: [numbers]}]; valueFormat formats axis and tooltip.
export function bars(el, {categories, labels, series, horizontal = false, stack = false, valueFormat = (v) => v, tooltips}) {
  const chart = instance(el);
  const small = narrow(el);
  const catAxis = {
    type: 'category',
    data: categories,
    axisLabel: {
      formatter: (c) => (labels ? labels(c) : c),
      interval: 0,
      rotate: !horizontal && categories.length * (small ? 48 : 72) > el.clientWidth ? (small ? 50 : 30) : 0,
      fontSize: small ? 10 : 11,
      width: horizontal ? (small ? 90 : 150) : undefined,
      overflow: 'truncate',
    },
    axisTick: {alignWithLabel: true},
  };
  const valAxis = {type: 'value', axisLabel: {formatter: valueFormat, fontSize: small ? 10 : 11}, splitLine: {lineStyle: {color: '#eaeef2'}}};
  chart.setOption(
    {
      color: PALETTE,
      textStyle: baseText,
      animationDuration: 300,
      animationDurationUpdate: 300,
      grid: {left: 8, right: 16, top: series.length > 1 ? 34 : 12, bottom: 8, containLabel: true},
      legend: series.length > 1 ? {top: 0, itemWidth: 12, itemHeight: 10, textStyle: {fontSize: 11}} : {show: false},
      tooltip: {
        trigger: 'axis',
        axisPointer: {type: 'shadow'},
        confine: true,
        formatter: (items) => {
          const c = items[0]?.name;
          const head = tooltips ? tooltips(c) : labels ? `${c} ${labels(c)}` : c;
          return [head, ...items.map((i) => `${i.marker}${i.seriesName}: ${valueFormat(i.value)}`)].join('<br>');
        },
      },
      xAxis: horizontal ? valAxis : catAxis,
      yAxis: horizontal ? {...catAxis, inverse: true} : valAxis,
      series: series.map((s) => ({
        name: s.name,
        type: 'bar',
        data: s.data,
        stack: stack ? 'total' : undefined,
        barMaxWidth: 28,
        emphasis: {focus: 'series'},
      })),
    },
    {replaceMerge: ['series', 'xAxis', 'yAxis']},
  );
  const values = {};
  for (const s of series) {
    values[s.name] = Object.fromEntries(categories.map((c, i) => [c, s.data[i]]));
  }
  el.dataset.values = JSON.stringify(series.length === 1 ? values[series[0].name] : values);
  return chart;
}

// A doughnut of named values.
export function doughnut(el, {items, labels, valueFormat = (v) => v}) {
  const chart = instance(el);
  const small = el.clientWidth < 400;
  chart.setOption(
    {
      color: PALETTE,
      textStyle: baseText,
      animationDuration: 300,
      animationDurationUpdate: 300,
      tooltip: {trigger: 'item', confine: true, formatter: (p) => `${labels ? labels(p.name) : p.name}: ${valueFormat(p.value)} (${p.percent}%)`},
      legend: {
        orient: small ? 'horizontal' : 'vertical',
        right: small ? undefined : 0,
        bottom: small ? 0 : undefined,
        top: small ? undefined : 'middle',
        type: 'scroll',
        formatter: (name) => {
          const item = items.find((i) => i.name === name);
          return `${labels ? labels(name) : name}  ${item ? valueFormat(item.value) : ''}`;
        },
        textStyle: {fontSize: 11},
      },
      series: [
        {
          type: 'pie',
          radius: small ? ['38%', '62%'] : ['45%', '72%'],
          center: small ? ['50%', '40%'] : ['28%', '50%'],
          avoidLabelOverlap: true,
          label: {show: false},
          data: items,
        },
      ],
    },
    {replaceMerge: ['series', 'xAxis', 'yAxis']},
  );
  el.dataset.values = JSON.stringify(Object.fromEntries(items.map((i) => [i.name, i.value])));
  return chart;
}

// Lines (or bars) over years: x the years, one series per name.
export function years(el, {years: xs, series, valueFormat = (v) => v}) {
  const chart = instance(el);
  chart.setOption(
    {
      color: PALETTE,
      textStyle: baseText,
      animationDuration: 300,
      animationDurationUpdate: 300,
      grid: {left: 8, right: 16, top: 34, bottom: 8, containLabel: true},
      legend: {top: 0, itemWidth: 12, itemHeight: 10, textStyle: {fontSize: 11}},
      tooltip: {
        trigger: 'axis',
        confine: true,
        formatter: (items) => [items[0]?.name, ...items.map((i) => `${i.marker}${i.seriesName}: ${valueFormat(i.value)}`)].join('<br>'),
      },
      xAxis: {type: 'category', data: xs.map(String), axisLabel: {fontSize: 11}},
      yAxis: {type: 'value', axisLabel: {formatter: valueFormat, fontSize: 11}, splitLine: {lineStyle: {color: '#eaeef2'}}},
      series: series.map((s, i) => ({
        name: s.name,
        type: i === 0 ? 'bar' : 'line',
        data: s.data,
        barMaxWidth: 24,
        smooth: false,
        symbolSize: 6,
      })),
    },
    {replaceMerge: ['series', 'xAxis', 'yAxis']},
  );
  const values = {};
  for (const s of series) values[s.name] = Object.fromEntries(xs.map((x, i) => [x, s.data[i]]));
  el.dataset.values = JSON.stringify(values);
  return chart;
}
