package io.servicekit.channel;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.Test;

class ReplyExceptionTest {
  @Test
  void aNullMessageBecomesTheCodeSoTheReplyCanStillBeSent() {
    IllegalStateException cause = new IllegalStateException();
    ReplyException e = new ReplyException(ReplyException.INTERNAL, null, cause);
    assertThat(e.getMessage()).isEqualTo("internal");
    assertThat(e.code()).isEqualTo("internal");
    assertThat(e.getCause()).isSameAs(cause);
    assertThat(new ReplyException("no_quota", null).getMessage()).isEqualTo("no_quota");
  }

  @Test
  void aGivenMessageIsKept() {
    assertThat(new ReplyException(ReplyException.LIMIT, "too many").getMessage())
        .isEqualTo("too many");
  }

  @Test
  void anInvalidCodeIsRefusedNamingTheValueEvenWithoutAMessage() {
    assertThatThrownBy(() -> new ReplyException("Bad-Code", null))
        .isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("Bad-Code");
    assertThatThrownBy(() -> new ReplyException(null, "text"))
        .isInstanceOf(NullPointerException.class)
        .hasMessageContaining("code");
  }
}
