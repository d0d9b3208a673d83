import { standOutAmongClasses } from '../class-spread.js'

/**
 * Upper tail of Student's t distribution with a whole number of degrees of freedom at `t`, from the closed
 * forms in the angle θ = atan(t/√ν).
 * @see Abramowitz, Stegun. Handbook of Mathematical Functions, 1964, 26.7.3 and 26.7.4.
 */
export function studentSurvival(t: number, degrees: number): number {
  const theta = Math.atan(Math.abs(t) / Math.sqrt(degrees))
  const cosine = Math.cos(theta)
  const squared = cosine * cosine
  let within: number
  if (degrees % 2 === 1) {
    let sum = 0
    let term = cosine
    for (let power = 1; power <= degrees - 2; power += 2) {
      sum += term
      term *= (squared * (power + 1)) / (power + 2)
    }
    within = (2 / Math.PI) * (theta + Math.sin(theta) * sum)
  } else {
    let sum = 0
    let term = 1
    for (let power = 0; power <= degrees - 2; power += 2) {
      sum += term
      term *= (squared * (power + 1)) / (power + 2)
    }
    within = Math.sin(theta) * sum
  }
  const upper = Math.max(0, (1 - within) / 2)
  return t >= 0 ? upper : 1 - upper
}

/**
 * P-value that a suspected class's split stands apart from its class more than the dataset's other classes' splits
 * do, Bonferroni over the classes; undefined below three classes. The other classes are the null, but only a few
 * of them: their centre and spread are estimates, so a new class is judged by the predictive distribution those
 * estimates leave (Student's t with one degree of freedom fewer than there are other classes, its scale widened by
 * √(1 + 1/others)), not by a normal curve that takes them as exact. Honest tables hold a tight natural group in a
 * class or two; against nine other classes a normal curve read one of them as p = 4·10⁻⁴.
 */
export function silhouetteStandOutPValue(
  silhouettes: readonly number[],
  suspects: readonly boolean[],
): number | undefined {
  const classCount = silhouettes.length
  if (classCount < 3) return undefined
  const others = classCount - 1
  let smallest = 1
  suspects.forEach((suspect, index) => {
    if (!suspect) return
    const z = standOutAmongClasses(silhouettes, index) / Math.sqrt(1 + 1 / others)
    smallest = Math.min(smallest, studentSurvival(z, others - 1) * classCount)
  })
  return Math.min(1, smallest)
}
