#pragma once

// core: the vocabulary every other layer speaks. Money as checked integer
// minor units and the one rounding rule; 128-bit ids and the IdMap that
// holds records by them; Status and Result; limits; BLAKE2b checksums; time
// behind an interface; a thread's scheduling priority. Depends on nothing of
// netfin's; on libsodium, OpenSSL's libcrypto and absl's hash map.

#include "core/assert.h"
#include "core/checksum.h"
#include "core/civil_date.h"
#include "core/clock.h"
#include "core/files.h"
#include "core/id.h"
#include "core/id_map.h"
#include "core/little_endian.h"
#include "core/limits.h"
#include "core/money.h"
#include "core/scratch_dir.h"
#include "core/status.h"
#include "core/thread_priority.h"
