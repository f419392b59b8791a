// The JSON writer (src/base/json_writer.h) shared by ferry --json and ferryd's
// JSON log: every line it writes parses, strictly, and says exactly what it
// was given, whatever bytes a name holds.
#include "src/base/json_writer.h"

#include <gmock/gmock.h>
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <map>
#include <string>

#include "tests/testing/json_object.h"

namespace ferry {
namespace {

using testing::JsonMember;
using testing::ParseJsonObject;
using Kind = JsonMember::Kind;

std::map<std::string, JsonMember> Parsed(const JsonObject& object) {
  std::map<std::string, JsonMember> members;
  std::string error;
  EXPECT_TRUE(ParseJsonObject(object.ToString(), &members, &error))
      << error << ": " << object.ToString();
  return members;
}

// The bytes a "_hex" member names.
std::string FromHex(const std::string& hex) {
  std::string bytes;
  for (size_t i = 0; i + 1 < hex.size(); i += 2) {
    bytes += static_cast<char>(std::stoi(hex.substr(i, 2), nullptr, 16));
  }
  return bytes;
}

TEST(JsonString, QuotesBackslashesAndControlBytesAreEscaped) {
  EXPECT_EQ(JsonString("a\"b\\c"), R"("a\"b\\c")");
  EXPECT_EQ(JsonString("\n\r\t"), R"("\n\r\t")");
  EXPECT_EQ(JsonString(std::string("\x01\x1b[2J\x7f", 6)), R"("\u0001\u001b[2J\u007f")");
  EXPECT_EQ(JsonString(std::string("nul\0!", 5)), R"("nul\u0000!")");
}

TEST(JsonString, ValidUtf8IsKeptAndInvalidBytesBecomeReplacementCharacters) {
  EXPECT_EQ(JsonString("caf\xc3\xa9 \xe2\x82\xac"), "\"caf\xc3\xa9 \xe2\x82\xac\"");
  // A lone continuation byte, a truncated sequence, an overlong '/', a surrogate.
  EXPECT_EQ(JsonString("\x80|\xc3|\xc0\xaf|\xed\xa0\x80"),
            R"("\ufffd|\ufffd|\ufffd\ufffd|\ufffd\ufffd\ufffd")");
}

TEST(JsonString, C1ControlsSeparatorsAndBidiControlsAreEscapedYetDecodeTheSame) {
  // U+009B (CSI), U+2028, U+202E (right-to-left override), U+2066.
  const std::string name =
      "a\xc2\x9b"
      "b\xe2\x80\xa8"
      "c\xe2\x80\xae"
      "d\xe2\x81\xa6";
  EXPECT_EQ(JsonString(name), R"("a\u009bb\u2028c\u202ed\u2066")");
  const auto members = Parsed(JsonObject().Add("name", name));
  EXPECT_EQ(members.at("name").text, name);
  EXPECT_EQ(members.count("name_hex"), 0u);  // valid UTF-8: no companion
}

TEST(JsonObject, AStringThatIsNotUtf8GetsAHexCompanionWithTheExactBytes) {
  const std::string name = "log\xff\xfe.txt";
  const auto members = Parsed(JsonObject().Add("name", name).Add("next", 1));
  EXPECT_EQ(members.at("name").text, "log\xef\xbf\xbd\xef\xbf\xbd.txt");  // U+FFFD twice
  ASSERT_EQ(members.count("name_hex"), 1u);
  EXPECT_EQ(members.at("name_hex").text, "6c6f67fffe2e747874");
  EXPECT_EQ(FromHex(members.at("name_hex").text), name);
  EXPECT_EQ(members.at("next").text, "1");
}

TEST(JsonObject, EveryByteValueGivesValidJsonAndTheBytesCanBeRecovered) {
  for (int byte = 0; byte < 256; ++byte) {
    const std::string name = "x" + std::string(1, static_cast<char>(byte)) + "y";
    const auto members = Parsed(JsonObject().Add("name", name));
    ASSERT_EQ(members.count("name"), 1u) << byte;
    if (byte < 0x80) {
      EXPECT_EQ(members.at("name").text, name) << byte;
      EXPECT_EQ(members.count("name_hex"), 0u) << byte;
    } else {
      ASSERT_EQ(members.count("name_hex"), 1u) << byte;
      EXPECT_EQ(FromHex(members.at("name_hex").text), name) << byte;
    }
  }
}

TEST(JsonObject, IntegersAreExactToSixtyFourBits) {
  const auto members = Parsed(JsonObject()
                                  .Add("max", std::numeric_limits<uint64_t>::max())
                                  .Add("min", std::numeric_limits<int64_t>::min())
                                  .Add("small", uint32_t{420})
                                  .Add("zero", 0));
  EXPECT_EQ(members.at("max").kind, Kind::kNumber);
  EXPECT_EQ(members.at("max").text, "18446744073709551615");
  EXPECT_EQ(members.at("min").text, "-9223372036854775808");
  EXPECT_EQ(members.at("small").text, "420");
  EXPECT_EQ(members.at("zero").text, "0");
}

TEST(JsonObject, BooleansDoublesAndNull) {
  const auto members = Parsed(JsonObject()
                                  .Add("yes", true)
                                  .Add("no", false)
                                  .Add("seconds", 0.25)
                                  .Add("tiny", 1e-7)
                                  .Add("third", 1.0 / 3)
                                  .Add("nan", std::nan(""))
                                  .Add("infinite", std::numeric_limits<double>::infinity())
                                  .AddNull("nothing"));
  EXPECT_EQ(members.at("yes").kind, Kind::kBool);
  EXPECT_EQ(members.at("yes").text, "true");
  EXPECT_EQ(members.at("no").text, "false");
  EXPECT_EQ(members.at("seconds").text, "0.25");
  EXPECT_EQ(std::stod(members.at("tiny").text), 1e-7);
  EXPECT_EQ(std::stod(members.at("third").text), 1.0 / 3);  // reads back the same double
  EXPECT_EQ(members.at("nan").kind, Kind::kNull);
  EXPECT_EQ(members.at("infinite").kind, Kind::kNull);
  EXPECT_EQ(members.at("nothing").kind, Kind::kNull);
}

TEST(JsonObject, NestedObjectsAndArraysKeepTheirOrderAndMerge) {
  JsonArray entries;
  entries.Add(JsonObject().Add("name", "a b").Add("size", 1));
  entries.Add(JsonObject().Add("name", "c\"d").Add("size", 2));
  JsonArray words;
  words.Add("x").Add(std::string("y\n")).Add(7);
  JsonObject object;
  object.Add("entries", entries).Add("words", words).Add("empty", JsonArray());
  object.Merge(JsonObject().Add("merged", "yes")).Merge(JsonObject());
  object.Add("inner", JsonObject().Add("k", "v"));
  EXPECT_EQ(object.ToString(),
            R"({"entries":[{"name":"a b","size":1},{"name":"c\"d","size":2}],)"
            R"("words":["x","y\n",7],"empty":[],"merged":"yes","inner":{"k":"v"}})");
  const auto members = Parsed(object);
  const JsonMember& listed = members.at("entries");
  ASSERT_EQ(listed.kind, Kind::kArray);
  ASSERT_EQ(listed.elements.size(), 2u);
  EXPECT_EQ(listed.elements[1].members.at("name").text, "c\"d");
  EXPECT_EQ(listed.elements[1].members.at("size").text, "2");
  EXPECT_EQ(members.at("words").elements[1].text, "y\n");
  EXPECT_TRUE(members.at("empty").elements.empty());
  EXPECT_EQ(members.at("inner").members.at("k").text, "v");
  EXPECT_TRUE(JsonObject().empty());
  EXPECT_EQ(JsonObject().ToString(), "{}");
}

TEST(HexBytes, TwoLowercaseDigitsPerByte) {
  EXPECT_EQ(HexBytes(""), "");
  EXPECT_EQ(HexBytes(std::string("\x00\x0f\xab\xff", 4)), "000fabff");
}

TEST(IsValidUtf8, AcceptsShortestFormsOnly) {
  EXPECT_TRUE(IsValidUtf8(""));
  EXPECT_TRUE(IsValidUtf8("caf\xc3\xa9 \xf0\x9f\x98\x80"));
  EXPECT_FALSE(IsValidUtf8("\xc0\xaf"));      // overlong '/'
  EXPECT_FALSE(IsValidUtf8("\xed\xa0\x80"));  // a surrogate
  EXPECT_FALSE(IsValidUtf8("ab\xe2\x82"));    // truncated
}

}  // namespace
}  // namespace ferry
