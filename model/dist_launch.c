/* dist_launch.c — whether an MPI launcher started this process, from its environment. */
#include "model/dist.h"

#include <stdlib.h>

/* The integer value of environment variable name, or -1 when it is unset or not one. */
static int env_int(const char *name) {
    const char *s = getenv(name);
    if (!s || !*s) return -1;
    char *end;
    long v = strtol(s, &end, 10);
    return *end == '\0' && v >= 0 && v <= 1 << 30 ? (int)v : -1;
}

int xcap_dist_launched(int *size, int *rank) {
    /* Open MPI's mpirun; MPICH/Hydra and Slurm's PMI; PMIx (srun --mpi=pmix) gives the rank only */
    static const char *const SIZES[] = {"OMPI_COMM_WORLD_SIZE", "PMI_SIZE", NULL};
    static const char *const RANKS[] = {"OMPI_COMM_WORLD_RANK", "PMI_RANK", "PMIX_RANK"};
    *size = 0;
    *rank = 0;
    int launched = 0;
    for (int i = 0; i < 3; i++) {
        int r = env_int(RANKS[i]), s = SIZES[i] ? env_int(SIZES[i]) : -1;
        if (r < 0 && s < 0) continue;
        if (!launched) {
            *rank = r < 0 ? 0 : r;
            *size = s < 0 ? 0 : s;
        }
        launched = 1;
    }
    return launched;
}
