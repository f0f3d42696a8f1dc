/* Speedups of the tally helper, written against a legacy ABI header only its old build hosts had. */
#include <Python.h>
#include <tallyhelper_legacy_abi.h>
