"""Lesson quizzes: drawn and graded on the server, answers never sent
before submission, a pass completes the lesson, a fail may be retried, and
the course's completion rule (and so the exam gate) waits for the quiz."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.utils import timezone

from tests.conftest import Cast, login_client
from tests.training.conftest import World, make_quiz_bank, quiz_on_article, right_answers, study
from training import selectors
from training.models import Assignment, Lesson, Progress, QuizAttempt
from training.services.crediting import heartbeat_record, lesson_start, lesson_stop


def _client(user: Any) -> Any:
    client = login_client(user)
    client.defaults["HTTP_ACCEPT_LANGUAGE"] = "en"
    return client


@pytest.fixture
def quiz(world: World, cast: Cast) -> Lesson:
    return quiz_on_article(world, make_quiz_bank(cast), count=5, quiz_pass_percent=60)


def _open_attempt(world: World) -> QuizAttempt:
    return QuizAttempt.objects.get(learner=world.learner.user, lesson=world.article, submitted_at__isnull=True)


@pytest.mark.django_db
class TestQuiz:
    def test_the_quiz_waits_until_the_lessons_time_is_earned(self, world: World, quiz: Lesson) -> None:
        client = _client(world.learner.user)
        player = client.get(f"/training/lessons/{quiz.pk}/").content.decode()
        assert re.search(r"<p data-quiz\s+hidden>", player)
        page = client.get(f"/training/lessons/{quiz.pk}/quiz/").content.decode()
        assert 'data-quiz-state="not_ready"' in page
        assert not QuizAttempt.objects.exists()
        study(world.learner.user, quiz, position=100)
        player = client.get(f"/training/lessons/{quiz.pk}/").content.decode()
        assert re.search(r"<p data-quiz\s+>", player)

    def test_answers_are_not_sent_before_submission(self, world: World, quiz: Lesson) -> None:
        study(world.learner.user, quiz, position=100)
        client = _client(world.learner.user)
        page = client.get(f"/training/lessons/{quiz.pk}/quiz/").content.decode()
        assert 'data-quiz-state="open"' in page
        attempt = _open_attempt(world)
        assert len(attempt.question_ids) == 5
        for i in range(1, 5):
            assert f"答案{i}号" not in page
        assert "解析秘密" not in page
        assert "checked" not in page  # no choice is pre-selected
        lesson_json = client.get(f"/api/v1/lessons/{quiz.pk}/").content.decode()
        assert "答案" not in lesson_json
        assert "解析秘密" not in lesson_json

    def test_a_pass_records_progress_and_completes_the_course(self, world: World, quiz: Lesson, cast: Cast) -> None:
        user = world.learner.user
        study(user, world.video, seconds=world.video.duration_seconds)
        # The document: one page per heartbeat, then the full minute.
        now = timezone.now()
        token = lesson_start(user=user, lesson=world.document, now=now).token
        for seq in range(1, 6):
            heartbeat_record(
                user=user,
                lesson=world.document,
                token=token,
                client_seq=seq,
                position=min(seq, 3),
                visible=True,
                interaction=True,
                now=now + dt.timedelta(seconds=15 * (seq - 1)),
            )
        lesson_stop(user=user, lesson_id=world.document.pk, token=token)
        study(user, quiz, position=100)
        # Time earned everywhere, but the article's quiz is not passed yet.
        progress = Progress.objects.get(learner=user, lesson=quiz)
        assert progress.completed_at is None
        assert not progress.quiz_passed
        assert set(
            Progress.objects.filter(learner=user, completed_at__isnull=False).values_list("lesson", flat=True)
        ) == {
            world.video.pk,
            world.document.pk,
        }
        assert not selectors.is_eligible_for_exam(person=world.learner, course=world.course)

        client = _client(user)
        client.get(f"/training/lessons/{quiz.pk}/quiz/")
        attempt = _open_attempt(world)
        response = client.post(
            f"/training/lessons/{quiz.pk}/quiz/", {"attempt": attempt.pk, **right_answers(attempt.question_ids)}
        )
        assert response.status_code == 302
        result = client.get(response["Location"]).content.decode()
        assert 'data-quiz-result="passed"' in result
        assert "Passed: 5 of 5 correct (100%)." in result
        progress.refresh_from_db()
        assert progress.quiz_passed
        assert progress.completed_at is not None
        world.assignment.refresh_from_db()
        assert world.assignment.status == Assignment.Status.COMPLETED
        assert selectors.is_eligible_for_exam(person=world.learner, course=world.course)
        # Once passed, the quiz says so instead of drawing again.
        again = client.get(f"/training/lessons/{quiz.pk}/quiz/").content.decode()
        assert 'data-quiz-state="passed"' in again
        assert QuizAttempt.objects.filter(learner=user, submitted_at__isnull=True).count() == 0

    def test_a_fail_allows_a_retry_with_a_fresh_draw(self, world: World, quiz: Lesson) -> None:
        study(world.learner.user, quiz, position=100)
        client = _client(world.learner.user)
        client.get(f"/training/lessons/{quiz.pk}/quiz/")
        first = _open_attempt(world)
        answers = right_answers(first.question_ids[:2])  # 2 of 5 = 40 % < 60 %
        response = client.post(f"/training/lessons/{quiz.pk}/quiz/", {"attempt": first.pk, **answers})
        result = client.get(response["Location"]).content.decode()
        assert 'data-quiz-result="failed"' in result
        assert "Not passed: 2 of 5 correct (40%); 60% is needed." in result
        assert "data-quiz-retry" in result
        for i in range(1, 5):
            assert f"答案{i}号" not in result  # a failed attempt doesn't give the key away
        progress = Progress.objects.get(learner=world.learner.user, lesson=quiz)
        assert not progress.quiz_passed
        assert progress.completed_at is None

        client.get(f"/training/lessons/{quiz.pk}/quiz/")
        second = _open_attempt(world)
        assert second.pk != first.pk
        client.post(f"/training/lessons/{quiz.pk}/quiz/", {"attempt": second.pk, **right_answers(second.question_ids)})
        progress.refresh_from_db()
        assert progress.quiz_passed
        assert progress.completed_at is not None

    def test_the_open_attempt_is_graded_once_and_a_stale_form_is_refused(self, world: World, quiz: Lesson) -> None:
        study(world.learner.user, quiz, position=100)
        client = _client(world.learner.user)
        client.get(f"/training/lessons/{quiz.pk}/quiz/")
        attempt = _open_attempt(world)
        client.post(f"/training/lessons/{quiz.pk}/quiz/", {"attempt": attempt.pk})  # blank answers: 0 of 5
        attempt.refresh_from_db()
        assert (attempt.correct, attempt.passed) == (0, False)
        # Re-posting the old form (back button) does not grade the new draw.
        response = client.post(
            f"/training/lessons/{quiz.pk}/quiz/", {"attempt": attempt.pk, **right_answers(attempt.question_ids)}
        )
        assert response.status_code == 302
        assert "?attempt=" not in response["Location"]
        assert not Progress.objects.get(learner=world.learner.user, lesson=quiz).quiz_passed
        assert QuizAttempt.objects.filter(submitted_at__isnull=False).count() == 1

    def test_it_validates_ownership(self, world: World, quiz: Lesson, cast: Cast) -> None:
        study(world.learner.user, quiz, position=100)
        _client(world.learner.user).get(f"/training/lessons/{quiz.pk}/quiz/")
        attempt = _open_attempt(world)
        for user in (cast.outsider, cast.west.learner.user, cast.west.enterprise_admin):
            client = _client(user)
            assert client.get(f"/training/lessons/{quiz.pk}/quiz/").status_code == 404
            posted = client.post(
                f"/training/lessons/{quiz.pk}/quiz/", {"attempt": attempt.pk, **right_answers(attempt.question_ids)}
            )
            assert posted.status_code == 404
        # An east admin may preview the lesson, but the quiz is for learners it is assigned to.
        assert _client(cast.east.training_admin).get(f"/training/lessons/{quiz.pk}/quiz/").status_code == 403
        assert not Progress.objects.get(learner=world.learner.user, lesson=quiz).quiz_passed
