/* cgroup.h - pids cgroups for scripts (root only; see cgroup.c). */
#ifndef MLAB_CGROUP_H
#define MLAB_CGROUP_H

#include <limits.h>

/* 1 when this process can make pids cgroups. */
int cg_available(void);

/* A fresh group with pids.max = max; *procs_fd opened on its
 * cgroup.procs (the child writes itself there).  -1 when none can be had
 * (dir is then ""). */
int cg_make(char dir[PATH_MAX], int *procs_fd, int max);

/* rmdir of a group, waiting up to about 2 s for its last processes to go
 * (a pid namespace's teardown takes a moment after its leader is reaped). */
void cg_remove(const char *dir);

/* Removes groups left by an mlab that was killed (their pid is gone). */
void cg_sweep(void);

#endif
