package telegram

import "testing"

func TestClassifyClosedTopics(t *testing.T) {
	for desc, want := range map[string]Kind{
		"Bad Request: TOPIC_CLOSED":              TopicClosed,
		"Bad Request: message thread not found":  TopicClosed,
		"Bad Request: TOPIC_DELETED":             TopicClosed,
		"Bad Request: chat not found":            ChatNotFound,
		"Bad Request: message to edit not found": BadRequest,
	} {
		if got := classify(apiFailure{code: 400, description: desc}); got != want {
			t.Errorf("classify(%q) = %v, want %v", desc, got, want)
		}
	}
}

func TestMessageTopic(t *testing.T) {
	for _, c := range []struct {
		m    IncomingMessage
		want int
	}{
		{IncomingMessage{ThreadID: 5, IsTopicMessage: true}, 5},
		{IncomingMessage{ThreadID: 5}, 0}, // a reply thread of a plain group
		{IncomingMessage{}, 0},            // General, or a plain group
	} {
		if got := c.m.Topic(); got != c.want {
			t.Errorf("Topic() of %+v = %d, want %d", c.m, got, c.want)
		}
	}
}
