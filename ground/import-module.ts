// import() of a module named at run time (a package, or a file's URL), from one place. The
// bundle of `chaos check` (dist/cli-check.cjs, run by bin/chaos.mjs as a script with a V8 code
// cache) cannot call import() itself: node 20 gives such a script a module loader only behind
// --experimental-vm-modules, and drops it when the code comes from the cache. The bundle takes
// bin/chaos.mjs's import() instead of this module (scripts/bundle-check.mjs). A package name
// resolves the same from either file: both are in this package.
export const importModule = (specifier: string): Promise<Record<string, unknown>> => import(specifier) as Promise<Record<string, unknown>>;
