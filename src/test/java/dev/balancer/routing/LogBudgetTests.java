package dev.balancer.routing;

import java.lang.reflect.Proxy;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

import org.apache.commons.logging.Log;
import org.apache.commons.logging.impl.NoOpLog;
import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatIllegalArgumentException;

class LogBudgetTests {

	final AtomicLong now = new AtomicLong(TimeUnit.HOURS.toNanos(5));

	final LogBudget budget = new LogBudget(this.now::get, LogBudget.LINES_PER_SECOND);

	final List<String> logged = new ArrayList<>();

	/** A logger that records INFO and WARN lines, with every level on. */
	final Log logger = (Log) Proxy.newProxyInstance(Log.class.getClassLoader(), new Class<?>[] { Log.class },
			(proxy, method, arguments) -> {
				if (method.getName().startsWith("is")) {
					return true;
				}
				if (method.getName().equals("info") || method.getName().equals("warn")) {
					this.logged.add(method.getName().toUpperCase(Locale.ROOT) + " " + arguments[0]);
				}
				return null;
			});

	@Test
	void logsTenLinesASecondAndSaysHowManyWereLeftOutInTheNextOne() {
		for (int i = 1; i <= 25; i++) {
			this.budget.warn(this.logger, "failed " + i);
		}
		assertThat(this.logged).hasSize(LogBudget.LINES_PER_SECOND).last().isEqualTo("WARN failed 10");

		this.now.addAndGet(TimeUnit.MILLISECONDS.toNanos(999));
		this.budget.warn(this.logger, "failed 26");
		assertThat(this.logged).hasSize(10);

		this.now.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
		this.budget.warn(this.logger, "failed 27");
		this.budget.info(this.logger, "failed 28");
		assertThat(this.logged.subList(10, 12)).containsExactly(
				"WARN failed 27 [16 more like it not logged before this one: at most 10 a second are]",
				"INFO failed 28");
	}

	@Test
	void aFewLinesAreAllLoggedAsTheyAre() {
		for (int i = 1; i <= 3; i++) {
			this.budget.info(this.logger, "refused " + i);
			this.now.addAndGet(TimeUnit.MILLISECONDS.toNanos(100));
		}

		assertThat(this.logged).containsExactly("INFO refused 1", "INFO refused 2", "INFO refused 3");
	}

	@Test
	void anotherNumberOfLinesASecondIsKeptToo() {
		LogBudget three = new LogBudget(this.now::get, 3);
		for (int i = 1; i <= 5; i++) {
			three.info(this.logger, "refused " + i);
		}
		this.now.addAndGet(TimeUnit.SECONDS.toNanos(1));
		three.info(this.logger, "refused 6");

		assertThat(this.logged).containsExactly("INFO refused 1", "INFO refused 2", "INFO refused 3",
				"INFO refused 6 [2 more like it not logged before this one: at most 3 a second are]");
	}

	@Test
	void noLinesAtAllIsRefusedNamingTheProperty() {
		assertThatIllegalArgumentException().isThrownBy(() -> new LogBudget(this.now::get, 0))
			.withMessage("balancer.log-budget.lines-per-second must be at least 1, was 0");
	}

	/**
	 * The build's tests run with a budget no test reaches (pom.xml), so that a test checking a line does not
	 * depend on the lines the tests before it logged from the same place in the same second.
	 */
	@Test
	void theBuildsTestsRunWithABudgetNoTestReaches() {
		LogBudget budget = new LogBudget();
		for (int i = 1; i <= 1000; i++) {
			budget.info(this.logger, "refused " + i);
		}

		assertThat(this.logged).hasSize(1000);
	}

	@Test
	void aLineTheLevelTurnsOffUsesNoneOfTheBudget() {
		Log quiet = new NoOpLog();
		for (int i = 0; i < 20; i++) {
			this.budget.warn(quiet, "unseen");
		}

		this.budget.warn(this.logger, "seen");

		assertThat(this.logged).containsExactly("WARN seen");
	}

}
