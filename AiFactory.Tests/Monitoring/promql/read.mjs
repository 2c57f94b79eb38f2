// Reads a JSON array of PromQL expressions from stdin and prints, for each, what the tests check: syntax errors
// (the lezer grammar Prometheus' own UI uses), every vector selector (metric name and the labels it matches on) and
// the labels it groups or matches by. Output: [{"errors": [...], "selectors": [{"metric", "labels"}], "grouping": [...]}].
import { parser } from '@prometheus-io/lezer-promql';

function read(expression) {
  const errors = [];
  const selectors = [];
  const grouping = [];
  const text = (node) => expression.slice(node.from, node.to);
  parser.parse(expression).iterate({
    enter(node) {
      if (node.type.isError) {
        errors.push(`syntax error at ${node.from}: ...${expression.slice(Math.max(0, node.from - 30), node.from + 10)}...`);
      } else if (node.name === 'VectorSelector') {
        const metric = node.node.getChild('Identifier');
        const matchers = node.node.getChild('LabelMatchers');
        const labels = [];
        for (let matcher = matchers?.firstChild; matcher; matcher = matcher.nextSibling) {
          const name = matcher.getChild('LabelName') ?? matcher.getChild('QuotedLabelName');
          if (name) labels.push(text(name).replace(/^"|"$/g, ''));
        }
        selectors.push({ metric: metric ? text(metric) : '', labels });
      } else if (node.name === 'GroupingLabels') {
        for (let label = node.node.firstChild; label; label = label.nextSibling) {
          if (label.name === 'LabelName') grouping.push(text(label));
        }
      }
    },
  });
  return { errors, selectors, grouping };
}

let input = '';
for await (const chunk of process.stdin) input += chunk;
process.stdout.write(JSON.stringify(JSON.parse(input).map(read)));
