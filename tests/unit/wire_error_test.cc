// The one mapping between StatusCode and the wire's ErrorCode
// (src/codec/wire_error.h, spec 9.1), and the Error messages built from it.
#include "src/codec/wire_error.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <climits>
#include <string>
#include <vector>

#include "ferry/v1/ferry.pb.h"
#include "tests/testing/status_matchers.h"

namespace ferry {
namespace {

using ::testing::Not;

struct CodePair {
  StatusCode status;
  v1::ErrorCode wire;
};

void PrintTo(const CodePair& c, std::ostream* os) {
  *os << StatusCodeName(c.status) << " <-> " << v1::ErrorCode_Name(c.wire);
}

// Every StatusCode that has a wire equivalent, written out by hand (not derived
// from the table under test).
const CodePair kPairs[] = {
    {StatusCode::kNotFound, v1::NOT_FOUND},
    {StatusCode::kAlreadyExists, v1::ALREADY_EXISTS},
    {StatusCode::kIsADirectory, v1::IS_A_DIRECTORY},
    {StatusCode::kNotADirectory, v1::NOT_A_DIRECTORY},
    {StatusCode::kNotARegularFile, v1::NOT_A_REGULAR_FILE},
    {StatusCode::kPermissionDenied, v1::PERMISSION_DENIED},
    {StatusCode::kNoSpace, v1::NO_SPACE},
    {StatusCode::kIoError, v1::IO_ERROR},
    {StatusCode::kInvalidPath, v1::INVALID_PATH},
    {StatusCode::kDirectoryNotEmpty, v1::DIRECTORY_NOT_EMPTY},
    {StatusCode::kBusy, v1::BUSY},
    {StatusCode::kInvalidArgument, v1::INVALID_ARGUMENT},
    {StatusCode::kSizeMismatch, v1::SIZE_MISMATCH},
    {StatusCode::kChecksumMismatch, v1::CHECKSUM_MISMATCH},
    {StatusCode::kCancelled, v1::CANCELLED},
    {StatusCode::kSourceChanged, v1::SOURCE_CHANGED},
    {StatusCode::kMalformedFrame, v1::MALFORMED_FRAME},
    {StatusCode::kMessageTooLarge, v1::MESSAGE_TOO_LARGE},
    {StatusCode::kMalformedMessage, v1::MALFORMED_MESSAGE},
    {StatusCode::kUnexpectedMessage, v1::UNEXPECTED_MESSAGE},
    {StatusCode::kUnsupportedVersion, v1::UNSUPPORTED_VERSION},
    {StatusCode::kUnsupported, v1::UNSUPPORTED},
    {StatusCode::kTimeout, v1::TIMEOUT},
    {StatusCode::kTooManyConnections, v1::TOO_MANY_CONNECTIONS},
    {StatusCode::kAuthenticationFailed, v1::AUTHENTICATION_FAILED},
    {StatusCode::kAuthenticationRequired, v1::AUTHENTICATION_REQUIRED},
    {StatusCode::kInternal, v1::INTERNAL},
};

class WireCodePair : public ::testing::TestWithParam<CodePair> {};

TEST_P(WireCodePair, MapsToItsWireCodeAndBack) {
  EXPECT_EQ(ToWireCode(GetParam().status), GetParam().wire);
  EXPECT_EQ(FromWireCode(GetParam().wire), GetParam().status);
}

TEST_P(WireCodePair, KeepsItsNumberFromTheSpecTable) {
  // The numeric values are part of the wire contract (spec 9.1): 1..11, 20..24, 30..40.
  const int n = GetParam().wire;
  EXPECT_TRUE((n >= 1 && n <= 11) || (n >= 20 && n <= 24) || (n >= 30 && n <= 40)) << n;
}

INSTANTIATE_TEST_SUITE_P(AllCodes, WireCodePair, ::testing::ValuesIn(kPairs));

TEST(WireCode, EveryWireCodeButUnspecifiedHasAStatusCode) {
  const google::protobuf::EnumDescriptor* codes = v1::ErrorCode_descriptor();
  ASSERT_EQ(codes->value_count(), 28);  // UNSPECIFIED + the 27 of kPairs
  for (int i = 0; i < codes->value_count(); ++i) {
    const int number = codes->value(i)->number();
    if (number == v1::ERROR_CODE_UNSPECIFIED) continue;
    SCOPED_TRACE(codes->value(i)->name());
    EXPECT_EQ(ToWireCode(FromWireCode(number)), number);
  }
}

TEST(WireCode, SpecNumbersAreTheSchemaNumbers) {
  EXPECT_EQ(v1::NOT_FOUND, 1);
  EXPECT_EQ(v1::BUSY, 11);
  EXPECT_EQ(v1::INVALID_ARGUMENT, 20);
  EXPECT_EQ(v1::CANCELLED, 23);
  EXPECT_EQ(v1::SOURCE_CHANGED, 24);
  EXPECT_EQ(v1::MALFORMED_FRAME, 30);
  EXPECT_EQ(v1::INTERNAL, 38);
}

TEST(WireCode, LocalConditionsGoOutAsInternal) {
  EXPECT_EQ(ToWireCode(StatusCode::kConnectionClosed), v1::INTERNAL);
  EXPECT_EQ(ToWireCode(StatusCode::kUnavailable), v1::INTERNAL);
  EXPECT_EQ(ToWireCode(StatusCode::kOk), v1::INTERNAL);  // never sent; not UNSPECIFIED
}

TEST(WireCode, UnknownOrUnspecifiedWireValuesAreInternal) {
  // R-ERROR-3
  for (const int value : {0, -1, 12, 19, 25, 29, 41, 100, 999, INT_MAX, INT_MIN}) {
    SCOPED_TRACE(value);
    EXPECT_EQ(FromWireCode(value), StatusCode::kInternal);
  }
}

// ---------------------------------------------------------------------------
// Error messages

TEST(ToWireError, CarriesCodeMessagePathAndFatal) {
  const v1::Error error =
      ToWireError(Status::Error(StatusCode::kNotFound, "no such file"), "dir/a.txt", false);
  EXPECT_EQ(error.code(), v1::NOT_FOUND);
  EXPECT_EQ(error.message(), "no such file");
  EXPECT_EQ(error.path(), "dir/a.txt");
  EXPECT_FALSE(error.fatal());
  EXPECT_TRUE(ToWireError(Status::Error(StatusCode::kTimeout, "t"), "", true).fatal());
}

TEST(ToWireError, MessageOf1024BytesIsKeptAndLongerIsCutTo1024) {
  const std::string exact(1024, 'm');
  EXPECT_EQ(ToWireError(Status::Error(StatusCode::kIoError, exact), "", false).message(), exact);
  const std::string longer(5000, 'm');
  EXPECT_EQ(ToWireError(Status::Error(StatusCode::kIoError, longer), "", false).message(), exact);
}

TEST(ToWireError, PathOf4096BytesIsKeptAndLongerIsCutTo4096) {
  const std::string exact(4096, 'p');
  EXPECT_EQ(ToWireError(Status::Error(StatusCode::kInvalidPath, "x"), exact, false).path(), exact);
  const std::string longer(5000, 'p');
  EXPECT_EQ(ToWireError(Status::Error(StatusCode::kInvalidPath, "x"), longer, false).path(), exact);
}

TEST(ToWireError, CutsNeverSplitAUtf8Character) {
  // Both fields are proto3 strings: a split character would make the whole Error
  // frame unparsable for the client (R-FRAME-9).
  std::string three_byte;  // U+65E5, 3 bytes each: 1024 and 4096 fall inside one
  for (int i = 0; i < 2000; ++i) three_byte += "\xE6\x97\xA5";
  const v1::Error error =
      ToWireError(Status::Error(StatusCode::kNotFound, three_byte), three_byte, false);
  EXPECT_EQ(error.message().size(), 1023u);
  EXPECT_EQ(error.path().size(), 4095u);
  EXPECT_EQ(error.message(), three_byte.substr(0, 1023));

  v1::ServerMessage envelope;
  *envelope.mutable_error() = error;
  v1::ServerMessage parsed;
  EXPECT_TRUE(parsed.ParseFromString(envelope.SerializeAsString()));
  EXPECT_EQ(parsed.error().path(), error.path());
}

TEST(ToWireError, FourByteCharacterAtTheLimitIsDroppedWhole) {
  const std::string message = std::string(1022, 'a') + "\xF0\x9F\x98\x80";  // U+1F600
  EXPECT_EQ(ToWireError(Status::Error(StatusCode::kIoError, message), "", false).message(),
            std::string(1022, 'a'));
}

TEST(FromWireError, KeepsCodeAndMessage) {
  v1::Error error;
  error.set_code(v1::ALREADY_EXISTS);
  error.set_message("target exists");
  error.set_path("hello.txt");
  const Status status = FromWireError(error);
  EXPECT_THAT(status, StatusIs(StatusCode::kAlreadyExists));
  EXPECT_EQ(status.message(), "target exists");
}

TEST(FromWireError, UnknownCodeIsInternalAndAnEmptyMessageGetsADefault) {
  v1::Error error;
  error.set_code(static_cast<v1::ErrorCode>(77));
  const Status status = FromWireError(error);
  EXPECT_THAT(status, StatusIs(StatusCode::kInternal));
  EXPECT_THAT(status.message(), Not(::testing::IsEmpty()));

  v1::Error unspecified;
  unspecified.set_message("m");
  EXPECT_THAT(FromWireError(unspecified), StatusIs(StatusCode::kInternal));
}

TEST(FromWireError, UnknownCodeReceivedOnTheWireIsInternal) {
  // A later server's code arrives as an unknown enum value in a proto3 message.
  const std::string payload("\x7A\x04\x08\x4D\x20\x01", 6);  // error{code: 77 fatal: true}
  v1::ServerMessage message;
  ASSERT_TRUE(message.ParseFromString(payload));
  EXPECT_THAT(FromWireError(message.error()), StatusIs(StatusCode::kInternal));
  EXPECT_TRUE(message.error().fatal());
}

}  // namespace
}  // namespace ferry
