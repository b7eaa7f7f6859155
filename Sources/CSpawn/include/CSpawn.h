#ifndef CSPAWN_H
#define CSPAWN_H

#include <spawn.h>

/// Adds "close every descriptor from `lowest` up" to `actions` (glibc's posix_spawn_file_actions_addclosefrom_np, which
/// Swift's Glibc module does not show), so a child inherits only the descriptors it was given.
int balcao_spawn_close_from(posix_spawn_file_actions_t *actions, int lowest);

#endif
