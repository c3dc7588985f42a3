/*
 * registry.c - the kernel table, built from kernels.def.
 */
#include "../runner/kernel.h"

#define NB_KERNEL(fam, name) extern const nb_kernel nb_k_##fam##_##name;
#include "kernels.def"
#undef NB_KERNEL

#define NB_KERNEL(fam, name) &nb_k_##fam##_##name,
const nb_kernel *const nb_kernel_table[] = {
#include "kernels.def"
};
#undef NB_KERNEL

const size_t nb_kernel_table_len = sizeof nb_kernel_table / sizeof nb_kernel_table[0];
