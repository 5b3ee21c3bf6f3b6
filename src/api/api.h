#pragma once

// api: netfin's HTTP/JSON edge. An HTTP/1.1 server (Boost.Beast) that routes
// requests to the ledger, strict JSON for records and one error shape for
// every failure, Prometheus metrics, and a small blocking client.
// docs/openapi.yaml describes the routes; docs/api.md shows them with curl.
//
// Only this folder includes Boost.Asio/Beast, and within it only server.cc
// and http_client.cc.

#include "api/errors.h"
#include "api/http_client.h"
#include "api/ledger_json.h"
#include "api/metrics.h"
#include "api/query.h"
#include "api/router.h"
#include "api/server.h"
