// Protobuf's own logging, turned off.
#pragma once

namespace ferry {

// Protobuf writes a line to stderr for every string field it refuses as invalid
// UTF-8. Those bytes come from the peer, so left on, any client could add lines
// to the server's log (and any server to the client's terminal). The refusal
// itself still reaches ferry as a parse failure (MALFORMED_MESSAGE). Idempotent;
// call once at start-up, before any thread parses.
void SilenceProtobufLogging();

}  // namespace ferry
