// cleanlab's label-issue pipeline as the peer of the full default scan: the same exported file read with pandas,
// out-of-fold probabilities from `CleanLearning(LogisticRegression())` (cleanlab's own 5-fold cross-validation,
// scikit-learn's default solver and iterations), then its `find_label_issues`. Texts become word TF-IDF features
// first (sublinear counts). The Python it runs is `POISONGUARD_PEER_PYTHON` (default `python3`) with
// whatever PYTHONPATH the caller set; when cleanlab, scikit-learn or pandas cannot be imported the peer is skipped
// and the reason kept for the report.
import { spawnSync } from 'node:child_process'
import { performance } from 'node:perf_hooks'

const python = process.env.POISONGUARD_PEER_PYTHON ?? 'python3'

const PEER = `
import json, resource, sys, warnings
warnings.filterwarnings('ignore')
import numpy as np, pandas as pd
from cleanlab.classification import CleanLearning
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import LogisticRegression
path = sys.argv[1]
frame = pd.read_json(path, lines=True) if path.endswith('.jsonl') else pd.read_csv(path)
classes, labels = np.unique(frame['label'].astype(str), return_inverse=True)
features = frame.drop(columns=[name for name in ('id', 'label') if name in frame.columns])
texts = [name for name in features.columns if features[name].dtype == object]
if texts:
    matrix = TfidfVectorizer(sublinear_tf=True).fit_transform(features[texts].fillna('').astype(str).agg(' '.join, axis=1))
else:
    values = features.to_numpy(dtype=np.float64)
    matrix = values / max(1.0, float(np.abs(values).max()))
issues = CleanLearning(LogisticRegression(), seed=1).find_label_issues(matrix, labels)
usage = resource.getrusage(resource.RUSAGE_SELF)
print(json.dumps({'issues': int(issues['is_label_issue'].sum()), 'cpuSeconds': usage.ru_utime + usage.ru_stime}))
`

/** Why the peer cannot run here, or undefined when it can. */
export function cleanlabUnavailable() {
  const child = spawnSync(python, ['-c', 'import cleanlab, sklearn, pandas; print(cleanlab.__version__)'], {
    encoding: 'utf8',
  })
  if (child.status === 0) return undefined
  const reason = (child.stderr || child.error?.message || 'failed').trim().split('\n').at(-1)
  return `cleanlab's pipeline did not run with ${python} (${reason}); set POISONGUARD_PEER_PYTHON (and PYTHONPATH) to a Python that has cleanlab, scikit-learn and pandas`
}

export function cleanlabVersion() {
  const child = spawnSync(
    python,
    ['-c', 'import cleanlab, sklearn; print(cleanlab.__version__, sklearn.__version__)'],
    {
      encoding: 'utf8',
    },
  )
  const [cleanlab, sklearn] = child.stdout.trim().split(' ')
  return { cleanlab, sklearn }
}

/** One run of the peer in a fresh interpreter: wall seconds start-up included (as the CLI is timed), CPU of every thread. */
export function runCleanlab(file) {
  const started = performance.now()
  const child = spawnSync(python, ['-c', PEER, file], { encoding: 'utf8', maxBuffer: 2 ** 24 })
  const seconds = (performance.now() - started) / 1000
  if (child.status !== 0) throw new Error(`cleanlab's pipeline failed on ${file}: ${child.stderr}`)
  const { cpuSeconds, issues } = JSON.parse(child.stdout.trim().split('\n').at(-1))
  return { seconds, cpuSeconds, issues }
}
