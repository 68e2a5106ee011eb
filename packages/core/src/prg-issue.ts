/**
 * The construction token of KeyedPrg. Only the key schedules import this module, and core's index
 * does not export it: code outside core cannot make a generator under a key it chose, nor one of
 * its own making that a randomizer would take.
 */
export const PRG_ISSUE: unique symbol = Symbol('KeyedPrg issue');
